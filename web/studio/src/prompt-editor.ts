// The prompt: a contenteditable text box in which every `<imgN>` is a chip tied to image slot N. The text the
// gateway gets is the box's text with each chip written back as `<imgN>` (Prompt.text + Prompt.images).

/** What a chip shows for slot `n` (1-based); null when there is no such slot. */
export type SlotLookup = (n: number) => { name: string; thumb: string } | null;

const placeholder = /<img([1-9][0-9]*)>/;

/** A zero-width space: where the caret can stand after a chip; never part of the prompt's text. */
const caretStop = "\u200b";

export class PromptEditor {
  constructor(
    readonly el: HTMLElement,
    private readonly lookup: SlotLookup,
    private readonly onFiles: (files: File[]) => void,
    private readonly onSubmit: () => void,
  ) {
    el.addEventListener("input", () => this.convert());
    // A click beside the last chip may put the caret inside it, where nothing can be typed: move it after the chip.
    document.addEventListener("selectionchange", () => {
      const selection = getSelection();
      const chip = selection?.anchorNode ? closestChip(selection.anchorNode, el) : null;
      if (chip) placeCaret(textAfter(chip), 0);
    });
    el.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();   // one line of text: Enter never inserts a <div>
      if (e.ctrlKey || e.metaKey) this.onSubmit();
    });
    el.addEventListener("paste", (e) => {
      const data = e.clipboardData;
      if (!data) return;
      e.preventDefault();
      const files = [...data.files].filter((f) => f.type.startsWith("image/"));
      if (files.length) this.onFiles(files);
      else this.insertText(data.getData("text/plain").replace(/\s*\n\s*/g, " "));
    });
    el.addEventListener("dragover", (e) => {
      if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
    });
    el.addEventListener("drop", (e) => {
      const files = [...(e.dataTransfer?.files ?? [])].filter((f) => f.type.startsWith("image/"));
      if (!files.length) return;
      e.preventDefault();
      this.onFiles(files);
    });
  }

  /** The prompt as the gateway reads it. */
  get text(): string {
    return serialize(this.el).replace(/\u00a0/g, " ").replaceAll(caretStop, "").trim();
  }

  set text(value: string) {
    this.el.replaceChildren(document.createTextNode(value));
    this.convert();
  }

  /** Slot numbers the prompt refers to. */
  placeholders(): number[] {
    return [...this.el.querySelectorAll<HTMLElement>(".chip")].map((c) => Number(c.dataset.slot));
  }

  /** Puts a chip for slot n at the caret (or at the end when the caret is elsewhere). */
  insertChip(n: number): void {
    this.el.focus();
    const selection = getSelection();
    let range: Range;
    if (selection && selection.rangeCount && this.el.contains(selection.getRangeAt(0).startContainer)) {
      range = selection.getRangeAt(0);
      range.deleteContents();
    } else {
      range = document.createRange();
      range.selectNodeContents(this.el);
      range.collapse(false);
    }
    const before = this.text.length > 0 && !/\s$/.test(textBefore(this.el, range)) ? " " : "";
    const chip = this.chip(n);
    const after = document.createTextNode(" ");
    range.insertNode(after);
    range.insertNode(chip);
    if (before) range.insertNode(document.createTextNode(before));
    placeCaret(after, 1);
    this.el.dispatchEvent(new Event("input", { bubbles: true }));
  }

  /** Slot n was removed: its chips go, and the chips of later slots move down one. */
  removed(n: number): void {
    for (const chip of this.el.querySelectorAll<HTMLElement>(".chip")) {
      const k = Number(chip.dataset.slot);
      if (k === n) chip.remove();
      else if (k > n) this.fill(chip, k - 1);
    }
  }

  /** Redraws every chip (a slot's thumbnail or name changed). */
  refresh(): void {
    for (const chip of this.el.querySelectorAll<HTMLElement>(".chip")) this.fill(chip, Number(chip.dataset.slot));
  }

  private insertText(text: string): void {
    // insertText keeps the browser's undo history; the input event it fires turns placeholders into chips.
    document.execCommand("insertText", false, text);
  }

  /** Turns every typed `<imgN>` into a chip, keeping the caret where it was. */
  private convert(): void {
    const selection = getSelection();
    const caretNode = selection?.anchorNode ?? null;
    const caretOffset = selection?.anchorOffset ?? 0;
    let caret: [Node, number] | null = null;
    const walker = document.createTreeWalker(this.el, NodeFilter.SHOW_TEXT);
    const texts: Text[] = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) texts.push(n as Text);
    for (let t of texts) {
      let offset = t === caretNode ? caretOffset : -1;
      for (let m = placeholder.exec(t.data); m; m = placeholder.exec(t.data)) {
        const rest = t.splitText(m.index);
        const after = rest.splitText(m[0].length);
        rest.replaceWith(this.chip(Number(m[1])));
        if (offset >= m.index + m[0].length) {
          offset -= m.index + m[0].length;
          caret = [after, offset];
        } else if (offset > m.index) {
          caret = [after, 0];
          offset = -1;
        } else {
          offset = -1;
        }
        t = after;
      }
    }
    // A chip at the very end gets a caret stop after it (an empty text node is none).
    const last = this.el.lastChild;
    if (last instanceof HTMLElement && last.classList.contains("chip")) this.el.append(document.createTextNode(caretStop));
    if (caret) placeCaret(...caret);
    this.el.classList.toggle("empty", this.text === "");
  }

  private chip(n: number): HTMLElement {
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.contentEditable = "false";
    this.fill(chip, n);
    return chip;
  }

  private fill(chip: HTMLElement, n: number): void {
    const slot = this.lookup(n);
    chip.dataset.slot = String(n);
    chip.dataset.testid = `chip-${n}`;
    chip.classList.toggle("missing", slot === null);
    chip.setAttribute("role", "img");
    chip.setAttribute("aria-label", slot ? `image ${n}: ${slot.name}` : `image ${n} (no such image)`);
    chip.title = slot ? `<img${n}>: ${slot.name}` : `<img${n}>: no image ${n} is attached`;
    const parts: Node[] = [];
    if (slot) {
      const img = document.createElement("img");
      img.src = slot.thumb;
      img.alt = "";
      parts.push(img);
    }
    parts.push(document.createTextNode(`img${n}`));
    chip.replaceChildren(...parts);
  }
}

function closestChip(node: Node, root: HTMLElement): HTMLElement | null {
  for (let n: Node | null = node; n && n !== root; n = n.parentNode)
    if (n instanceof HTMLElement && n.classList.contains("chip")) return n;
  return null;
}

/** The text node right after a chip, made when there is none. */
function textAfter(chip: HTMLElement): Text {
  const next = chip.nextSibling;
  if (next instanceof Text && next.data.length > 0) return next;
  const stop = document.createTextNode(caretStop);
  chip.after(stop);
  return stop;
}

function serialize(node: Node): string {
  let out = "";
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) out += (child as Text).data;
    else if (child instanceof HTMLElement && child.classList.contains("chip")) out += `<img${child.dataset.slot}>`;
    else if (child instanceof HTMLBRElement) out += " ";
    else out += serialize(child);
  }
  return out;
}

function textBefore(root: HTMLElement, range: Range): string {
  const r = document.createRange();
  r.selectNodeContents(root);
  r.setEnd(range.startContainer, range.startOffset);
  const holder = document.createElement("div");
  holder.append(r.cloneContents());
  return serialize(holder);
}

function placeCaret(node: Node, offset: number): void {
  const selection = getSelection();
  if (!selection) return;
  const r = document.createRange();
  r.setStart(node, Math.min(offset, node.textContent?.length ?? 0));
  r.collapse(true);
  selection.removeAllRanges();
  selection.addRange(r);
}
