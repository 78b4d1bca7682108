/** The type of the dashboard's SSE parser (web/dashboard/app/api.js), for the tests. */
export function parseSse(text: string): {
  events: { id?: string; event: string; data: string }[];
  rest: string;
  lastId?: string;
};
