/**
 * Already-serialized JSON: values rendered once, where they are materialized (the net-worth history
 * points, see `netWorthPointJson`), and spliced into responses instead of being read into objects and
 * serialized again on every request (src/http/read-cache.ts splices them into the route's answer).
 */
export class JsonText {
  constructor(readonly text: string) {}
}
