/**
 * Scheduled jobs (`/api/v1/scheduler/jobs`): each job with its schedule, message, last and next
 * run; a form that adds one (the API's refusal, a bad schedule or a taken name, shown as it
 * says it); Run now, which runs the job through the agent at once and shows its answer; Delete,
 * asked twice. A job from config.json's `scheduler.jobs` is changed there, which the API says.
 *
 * @module
 */
import { html, useState } from "../html.js";
import { api } from "../api.js";
import { useApi } from "../hooks.js";
import { useAction } from "../action.js";
import { Empty, ErrorLine, Time } from "../views.js";

const JOBS = "/api/v1/scheduler/jobs";
const BLANK = { name: "", schedule: "", message: "", timezone: "" };

function jobPath(name) {
  return `${JOBS}/${encodeURIComponent(name)}`;
}

function NewJob({ onAdded }) {
  const [draft, setDraft] = useState(BLANK);
  const { busy, error, run } = useAction();
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const body = {
      name: draft.name.trim(),
      schedule: draft.schedule.trim(),
      message: draft.message,
    };
    if (draft.timezone.trim() !== "") body.timezone = draft.timezone.trim();
    run(async () => {
      await api(JOBS, { method: "POST", body });
      setDraft(BLANK);
      onAdded();
    });
  };
  const field = (key, label, hint) =>
    html`<label>${label} <input name=${key} value=${draft[key]} placeholder=${hint}
      onInput=${set(key)} /></label>`;
  return html`<form class="new-job" onSubmit=${submit}>
    <h2>Add a job</h2>
    ${field("name", "Name", "morning-brief")}
    ${field("schedule", "Schedule", "0 8 * * MON-FRI or @daily")}
    ${field("timezone", "Time zone", "optional: Europe/Berlin")}
    <label class="wide">Message <textarea name="message" value=${draft.message}
      onInput=${set("message")} placeholder="What the agent gets at each run" /></label>
    <button type="submit" disabled=${busy}>Add</button>
    <${ErrorLine} error=${error} />
  </form>`;
}

function Run({ report }) {
  return html`<div class="run-report" data-run=${report.status}>
    Ran ${report.trigger === "manual" ? "now" : report.trigger}: <strong>${report.status}</strong>
    ${report.answer !== undefined && html`<pre class="raw">${report.answer}</pre>`}
    ${report.error !== undefined && html`<p class="error">${report.error}</p>`}
  </div>`;
}

function JobRow({ job, onChanged }) {
  const { busy, error, run: act } = useAction();
  const [report, setReport] = useState(undefined);
  const [confirming, setConfirming] = useState(false);
  const run = () =>
    act(async () => {
      setReport(undefined);
      setReport(await api(`${jobPath(job.name)}/run`, { method: "POST" }));
      onChanged();
    });
  const remove = () =>
    act(async () => {
      await api(jobPath(job.name), { method: "DELETE" });
      onChanged();
    });
  return html`<li class="job" data-job=${job.name}>
    <h3><code>${job.name}</code> <span class="muted">${job.schedule}${
    job.enabled ? "" : " (disabled)"
  }${job.origin === "config" ? ", from config.json" : ""}</span></h3>
    <p class="job-message">${job.message}</p>
    <p class="muted">
      Last run: ${
    job.last_run_at ? html`<${Time} iso=${job.last_run_at} /> (${job.last_status})` : "never"
  };
      next: ${
    job.next_run_at ? html`<${Time} iso=${job.next_run_at} />` : "—"
  }; ${job.run_count} run(s)
    </p>
    <p class="answers">
      <button data-action="run" disabled=${busy || !job.enabled} onClick=${run}>Run now</button>
      ${
    confirming
      ? html`
        <button data-action="confirm-delete" disabled=${busy} onClick=${remove}>
                    Delete ${job.name} for good</button>
        <button data-action="keep" onClick=${() => setConfirming(false)}>Keep it</button>
      `
      : html`<button data-action="delete" disabled=${busy} onClick=${() =>
        setConfirming(true)}>Delete</button>`
  }
    </p>
    ${busy && html`<p class="muted">Working…</p>`}
    ${report && html`<${Run} report=${report} />`}
    <${ErrorLine} error=${error} />
  </li>`;
}

/** The jobs, the form that adds one. */
export function Scheduler() {
  const { data, error, loading, reload } = useApi(JOBS, 10_000);
  if (loading) return html`<p class="muted">Loading…</p>`;
  const jobs = data?.items ?? [];
  return html`
    <${ErrorLine} error=${error} />
    ${jobs.length === 0
      ? html`<${Empty} title="No job">A job sends its message to the agent on its schedule, as
          if the owner wrote it; add one below (or with <code>kafclaw cron add</code>).</${Empty}>`
      : html`<ol class="jobs">${
        jobs.map((j) => html`<${JobRow} key=${j.name} job=${j} onChanged=${reload} />`)
      }</ol>`}
    <${NewJob} onAdded=${reload} />
  `;
}
