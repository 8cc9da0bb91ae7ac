// Image slots: slot N is `<imgN>` in the prompt. Each image is uploaded once (PutImage, one unary gRPC-Web call)
// and from then on sent by its SHA-256 (ImageInput.sha256); it is uploaded again only if the gateway has let it go.
import { callHeaders, client, describeError, type CallError } from "./api";

export interface Slot {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** An object URL of the file, for the thumbnail and the chips. */
  readonly thumb: string;
  sha256: string | null;
  /** The upload under way, if any. */
  pending: Promise<string> | null;
  error: CallError | null;
}

export async function slotFromFile(file: File): Promise<Slot> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return {
    name: file.name || "pasted image",
    bytes,
    thumb: URL.createObjectURL(new Blob([bytes], { type: file.type || "image/png" })),
    sha256: null,
    pending: null,
    error: null,
  };
}

/** The slot's SHA-256 on the gateway, uploading it first when it has none (or `again`: the gateway forgot it). */
export function ensureUploaded(slot: Slot, again = false): Promise<string> {
  if (slot.sha256 && !again) return Promise.resolve(slot.sha256);
  if (slot.pending) return slot.pending;
  slot.error = null;
  slot.pending = client
    .putImage({ data: slot.bytes }, { headers: callHeaders() })
    .then((ref) => {
      slot.sha256 = ref.sha256;
      return ref.sha256;
    })
    .catch((e: unknown) => {
      slot.error = describeError(e);
      throw e;
    })
    .finally(() => {
      slot.pending = null;
    });
  return slot.pending;
}

/** Draws the slot list; the callbacks insert a slot's chip into the prompt or remove the slot. */
export function renderSlots(
  list: HTMLOListElement,
  slots: readonly Slot[],
  insert: (n: number) => void,
  remove: (n: number) => void,
): void {
  list.replaceChildren(
    ...slots.map((slot, i) => {
      const n = i + 1;
      const item = document.createElement("li");
      item.className = "slot";
      item.id = `slot-${n}`;
      item.dataset.testid = `slot-${n}`;

      const img = document.createElement("img");
      img.src = slot.thumb;
      img.alt = `image ${n}: ${slot.name}`;
      img.className = "thumb";

      const label = document.createElement("div");
      label.className = "slot-label";
      const tag = document.createElement("code");
      tag.textContent = `<img${n}>`;
      const name = document.createElement("span");
      name.className = "slot-name";
      name.textContent = slot.name;
      const state = document.createElement("span");
      state.className = "slot-state";
      state.dataset.testid = `slot-${n}-state`;
      state.textContent = slot.error ? "upload failed" : slot.sha256 ? "uploaded" : "uploading…";
      state.title = slot.sha256 ? `SHA-256 ${slot.sha256}` : "";
      label.append(tag, name, state);

      const add = document.createElement("button");
      add.type = "button";
      add.textContent = `Insert <img${n}>`;
      add.setAttribute("aria-label", `Insert image ${n} into the prompt`);
      add.dataset.testid = `slot-${n}-insert`;
      add.addEventListener("click", () => insert(n));

      const drop = document.createElement("button");
      drop.type = "button";
      drop.className = "secondary";
      drop.textContent = "Remove";
      drop.setAttribute("aria-label", `Remove image ${n}`);
      drop.addEventListener("click", () => remove(n));

      const error = document.createElement("p");
      error.className = "field-error";
      error.id = `slot-${n}-error`;
      error.dataset.testid = `slot-${n}-error`;
      error.setAttribute("aria-live", "polite");
      error.textContent = slot.error?.message ?? "";
      item.setAttribute("aria-describedby", error.id);

      const buttons = document.createElement("div");
      buttons.className = "slot-buttons";
      buttons.append(add, drop);
      item.append(img, label, buttons, error);
      return item;
    }),
  );
}
