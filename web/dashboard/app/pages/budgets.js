/**
 * The overview's budgets card: each limit on LLM use the policy sets (tokens a day, for the agent
 * and per sender; USD a day and a month), what is used of it since it last reset as
 * `used / limit` with a bar, from `/api/v1/policy/budgets` (refreshed every 5 seconds); "No
 * budget set" when config sets none.
 *
 * @module
 */
import { html } from "../html.js";
import { useApi } from "../hooks.js";
import { ErrorLine } from "../views.js";

const LABELS = {
  daily_tokens: "Tokens today",
  daily_tokens_per_sender: "Tokens today, one sender",
  daily_usd: "Spent today",
  monthly_usd: "Spent this month",
};

export function Budgets() {
  const { data, error } = useApi("/api/v1/policy/budgets", 5000);
  const items = data?.items ?? [];
  return html`
    <article class="card" data-card="budgets">
      <h2>Budgets</h2>
      <${ErrorLine} error=${error} />
      ${data === undefined ? "" : items.length === 0
        ? html`<p class="muted" data-budget="none">
          No budget set (policy.dailyTokenLimit, dailyTokenLimitPerSender, dailyBudgetUsd,
          monthlyBudgetUsd).
        </p>`
        : items.map((b) => html`<${BudgetLine} budget=${b} />`)}
    </article>
  `;
}

/**
 * One budget: its name, `used / limit`, and a meter that turns from green to amber past 80% and
 * to red when it is spent (a native meter: the page's style policy allows no inline style).
 */
function BudgetLine({ budget: b }) {
  const amount = (n) => b.unit === "usd" ? `$${n.toFixed(2)}` : n.toLocaleString("en");
  const who = b.sender ? ` (most: ${b.sender})` : "";
  const label = LABELS[b.name] ?? b.name;
  return html`
    <div class="budget" data-budget=${b.name}>
      <div class="budget-head">
        <span>${label}${who}</span>
        <span class="budget-used">${amount(b.used)} / ${amount(b.limit)}</span>
      </div>
      <meter min="0" max=${b.limit} value=${Math.min(b.used, b.limit)} low=${b.limit * 0.8}
        high=${b.limit * 0.999} optimum="0" aria-label=${label}></meter>
    </div>
  `;
}
