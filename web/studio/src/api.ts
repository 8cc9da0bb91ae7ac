// The gateway as the page sees it: a Connect-ES client over gRPC-Web on the page's own origin (the studio's
// HTTP/1.1 endpoint), the API key header, and what an error message names.
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { Gateway } from "./gen/unimog/v1/gateway_pb";

export type GatewayClient = Client<typeof Gateway>;

export const client: GatewayClient = createClient(
  Gateway,
  createGrpcWebTransport({ baseUrl: location.origin, useBinaryFormat: true }),
);

// The gateway's API-key scheme (hosts/UnimoG.Hosting/Security/ApiKeyAuthenticationHandler.cs): `x-api-key: KEY`
// (or `authorization: ApiKey KEY`; a Bearer token is something else, JWT).
const keyStorage = "unimog-studio.api-key";
let apiKey = sessionStorage.getItem(keyStorage) ?? "";

export function setApiKey(key: string): void {
  apiKey = key.trim();
  if (apiKey) sessionStorage.setItem(keyStorage, apiKey);
  else sessionStorage.removeItem(keyStorage);
}

export function getApiKey(): string {
  return apiKey;
}

/** Headers for every call. */
export function callHeaders(): HeadersInit {
  return apiKey ? { "x-api-key": apiKey } : {};
}

/** A failed call, as the page shows it: the status, the gateway's own message, and the field it names. */
export interface CallError {
  code: Code;
  message: string;
  /** The field the message starts with (`prompt.text`, `prompt.images[1]`, `width`, `data`, ...), if any. */
  field: string | null;
}

// The gateway's messages start with the field: "width: ...", "prompt.text (offset 7): ...",
// "prompt.images[1] (<img2>): ...", "negative_prompt.images[0].sha256: ...".
const fieldPattern = /^([a-z_]+(?:\[\d+\])?(?:\.[a-z_0-9]+(?:\[\d+\])?)*)(?: \([^)]*\))*: /;

export function describeError(e: unknown): CallError {
  const err = ConnectError.from(e);
  const message = err.rawMessage || codeName(err.code);
  const m = err.code === Code.InvalidArgument ? fieldPattern.exec(message) : null;
  return { code: err.code, message, field: m ? m[1] : null };
}

export function codeName(code: Code): string {
  return Code[code] ?? `code ${code}`;
}

export { Code };
