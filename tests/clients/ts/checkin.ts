// A PIN check-in driven through a client generated from api/openapi.json (openapi-typescript
// types + openapi-fetch): the bench taps a virtual card, the kiosk role answers the prompts
// naming its session (If-Match), reception reads the result and acknowledges it. tsc checks
// every call against the generated types before this runs; a renamed field, a missing
// parameter or a changed answer type fails to compile.
//
//   KIOSK_BASE=http://127.0.0.1:PORT KIOSK_TOKENS=state/tokens.json node generated/out/checkin.js
import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.js";

type SessionView = components["schemas"]["SessionView"];
type Prompt = SessionView["prompt"]["kind"];
type Code = components["schemas"]["Code"];

const base = process.env.KIOSK_BASE;
const tokensFile = process.env.KIOSK_TOKENS;
if (!base || !tokensFile) throw new Error("KIOSK_BASE and KIOSK_TOKENS are required");
const tokens: Record<string, string> = JSON.parse(readFileSync(tokensFile, "utf8"));
const client = createClient<paths>({ baseUrl: base });
const as = (role: "kiosk" | "reception" | "bench") => ({ Authorization: `Bearer ${tokens[role]}` });

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`check-in (TypeScript client): ${what}`);
}

async function session(): Promise<SessionView> {
  const { data, error } = await client.GET("/v1/session", { headers: as("kiosk") });
  check(data !== undefined, `GET /v1/session: ${JSON.stringify(error)}`);
  return data;
}

async function waitFor(kind: Prompt): Promise<SessionView> {
  const until = Date.now() + 20_000;
  for (;;) {
    const view = await session();
    if (view.prompt.kind === kind) return view;
    check(Date.now() < until, `no ${kind} prompt; last ${JSON.stringify(view.prompt)}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

const tap = await client.POST("/v1/bench/card", { headers: as("bench"), body: { profile: "valid" } });
check(tap.response.status === 200, `tap: ${tap.response.status}`);
const chooser = await waitFor("choose_method");
const id = chooser.id;
check(typeof id === "string", "a session id");
const mine = { "If-Match": `"${id}"` };

// A command for another session changes nothing: 409 with a typed Problem naming its request.
const stale = await client.POST("/v1/session/method", {
  headers: as("kiosk"),
  params: { header: { "If-Match": '"s-0000000000000000"' } },
  body: { method: "pin" },
});
const mismatch: Code = "SESSION_MISMATCH";
check(stale.response.status === 409 && stale.error?.code === mismatch, `stale command: ${JSON.stringify(stale.error)}`);
check(stale.error?.instance === "/v1/session/method", `instance: ${stale.error?.instance}`);

const method = await client.POST("/v1/session/method", { headers: as("kiosk"), params: { header: mine }, body: { method: "pin" } });
check(method.data?.prompt.kind === "enter_pin", `method: ${JSON.stringify(method.error)}`);
const pin = await client.POST("/v1/session/pin", { headers: as("kiosk"), params: { header: mine }, body: { pin: "1234", confirm_last_try: false } });
check(pin.response.status === 200, `pin: ${JSON.stringify(pin.error)}`);
const consent = await waitFor("consent");
check(consent.prompt.kind === "consent" && consent.prompt.allow_all === true, "consent for all offered");
const all = await client.POST("/v1/session/consent", { headers: as("kiosk"), params: { header: mine }, body: { all: true } });
check(all.response.status === 200, `consent: ${JSON.stringify(all.error)}`);
await waitFor("take_card");
await client.DELETE("/v1/bench/card", { headers: as("bench") });

// Reception: the result by its id, then the acknowledgement.
const page = await client.GET("/v1/results", { headers: as("reception"), params: { query: { after: 0, limit: 1000 } } });
check(page.data !== undefined, `results: ${JSON.stringify(page.error)}`);
check(page.data.results.some((r) => r.id === id), "the result is listed");
const one = await client.GET("/v1/results/{id}", { headers: as("reception"), params: { path: { id } } });
const result = one.data;
check(result !== undefined, `result: ${JSON.stringify(one.error)}`);
check(result.outcome === "verified", `outcome ${result.outcome}`);
check(result.auth?.method === "pin" && result.auth.signature.length > 0, "signed at the PIN check");
check(result.card?.certificate?.der !== undefined, "the certificate");
const ack = await client.POST("/v1/results/{id}/ack", { headers: as("reception"), params: { path: { id } } });
check(ack.data?.acknowledged === id, `ack: ${JSON.stringify(ack.error)}`);
console.log(`check-in (TypeScript client): ${id} verified by PIN, seq ${result.seq}, acknowledged`);
