// The studio page: wires the form, the prompt editor, the image slots, a run's live events and the gallery.
import { Code, callHeaders, client, codeName, describeError, setApiKey, getApiKey, type CallError } from "./api";
import { PromptEditor } from "./prompt-editor";
import { ensureUploaded, renderSlots, slotFromFile, type Slot } from "./slots";
import { PreviewKind } from "./gen/unimog/v1/denoiser_pb";
import type { ModelInfo } from "./gen/unimog/v1/model_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GenerateRequestSchema } from "./gen/unimog/v1/gateway_pb";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

const form = $<HTMLFormElement>("form");
const slotList = $<HTMLOListElement>("slots");
const fileInput = $<HTMLInputElement>("file-input");
const seed = $<HTMLInputElement>("seed");
const seedRandom = $<HTMLInputElement>("seed-random");
const sampler = $<HTMLSelectElement>("sampler");
const steps = $<HTMLInputElement>("steps");
const guidance = $<HTMLInputElement>("guidance");
const width = $<HTMLInputElement>("width");
const height = $<HTMLInputElement>("height");
const numImages = $<HTMLInputElement>("num-images");
const exactEvery = $<HTMLInputElement>("exact-every");
const negative = $<HTMLTextAreaElement>("negative-prompt");
const generateButton = $<HTMLButtonElement>("generate");
const cancelButton = $<HTMLButtonElement>("cancel");
const statusLine = $("status");
const queueLine = $("queue");
const generalError = $("error-general");
const preview = $<HTMLImageElement>("preview");
const previewEmpty = $("preview-empty");
const previewCaption = $("preview-caption");
const progress = $<HTMLProgressElement>("progress");
const timing = $("timing");
const gallery = $<HTMLOListElement>("gallery");

let slots: Slot[] = [];
let model: ModelInfo | null = null;
let running: AbortController | null = null;

const editor = new PromptEditor(
  $("prompt"),
  (n) => (slots[n - 1] ? { name: slots[n - 1].name, thumb: slots[n - 1].thumb } : null),
  (files) => void addFiles(files),
  () => form.requestSubmit(),
);

// ---- image slots -------------------------------------------------------------------------------------------

function drawSlots(): void {
  renderSlots(slotList, slots, (n) => editor.insertChip(n), removeSlot);
  editor.refresh();
  const max = model?.maxPromptImages ?? 0;
  fileInput.disabled = max > 0 && slots.length >= max;
}

async function addFiles(files: File[]): Promise<void> {
  setFieldError("images", "");
  const max = model?.maxPromptImages ?? 0;
  for (const file of files) {
    if (!file.type.startsWith("image/")) {
      setFieldError("images", `${file.name}: not an image`);
      continue;
    }
    if (max > 0 && slots.length >= max) {
      setFieldError("images", `this model takes at most ${max} images in a prompt`);
      break;
    }
    const slot = await slotFromFile(file);
    slots.push(slot);
    drawSlots();
    ensureUploaded(slot).then(drawSlots, (e: unknown) => {
      drawSlots();
      authFailure(describeError(e));
    });
  }
}

function removeSlot(n: number): void {
  const [gone] = slots.splice(n - 1, 1);
  if (gone && !isInGallery(gone)) URL.revokeObjectURL(gone.thumb);
  editor.removed(n);
  drawSlots();
}

fileInput.addEventListener("change", () => {
  void addFiles([...(fileInput.files ?? [])]);
  fileInput.value = "";
});
const dropzone = $("images");
dropzone.addEventListener("dragover", (e) => {
  if (!e.dataTransfer?.types.includes("Files")) return;
  e.preventDefault();
  dropzone.classList.add("dragging");
});
dropzone.addEventListener("dragleave", () => dropzone.classList.remove("dragging"));
dropzone.addEventListener("drop", (e) => {
  dropzone.classList.remove("dragging");
  const files = [...(e.dataTransfer?.files ?? [])];
  if (!files.length) return;
  e.preventDefault();
  void addFiles(files);
});
document.addEventListener("paste", (e) => {
  // Images pasted anywhere but the prompt (which handles its own paste) become slots too.
  if (e.target instanceof Node && $("prompt").contains(e.target)) return;
  const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith("image/"));
  if (files.length) {
    e.preventDefault();
    void addFiles(files);
  }
});

// ---- errors beside their fields ------------------------------------------------------------------------------

const fieldErrors = ["prompt", "images", "negative-prompt", "seed", "sampler", "steps", "guidance", "width", "height", "num-images", "exact-every"];

/** Which of the page's fields a gateway field names (`prompt.text`, `guidance_scale`, ...). */
function fieldFor(field: string): string | null {
  const top = field.split(/[.[]/)[0];
  switch (top) {
    case "prompt": return "prompt";
    case "negative_prompt": return "negative-prompt";
    case "seed": return "seed";
    case "sampler": return "sampler";
    case "steps": return "steps";
    case "guidance_scale": return "guidance";
    case "width": return "width";
    case "height": return "height";
    case "num_images": return "num-images";
    case "exact_preview_interval": case "preview_interval": case "preview_kind": return "exact-every";
    default: return null;
  }
}

function setFieldError(name: string, message: string): void {
  const el = $(`${name}-error`);
  el.textContent = message;
  const input = document.getElementById(name);
  if (input && input.tagName !== "FIELDSET") input.setAttribute("aria-invalid", message ? "true" : "false");
}

function clearErrors(): void {
  for (const name of fieldErrors) setFieldError(name, "");
  generalError.textContent = "";
  for (const slot of slots) slot.error = null;
  drawSlots();
}

function showError(error: CallError): void {
  // An upload's refusal ("data: ...") is shown beside its image (ensureUploaded kept it on the slot).
  if (error.field === "data" && slots.some((slot) => slot.error)) {
    drawSlots();
    return;
  }
  const name = error.field ? fieldFor(error.field) : null;
  if (!name) {
    generalError.textContent = `${codeName(error.code)}: ${error.message}`;
    authFailure(error);
    return;
  }
  setFieldError(name, error.message);
  // "prompt.images[1] (<img2>): ..." also goes beside that image.
  const image = /^prompt\.images\[(\d+)\]/.exec(error.field ?? "");
  if (image && slots[Number(image[1])]) {
    slots[Number(image[1])].error = error;
    drawSlots();
  }
  document.getElementById(name)?.focus();
}

// ---- the API key ---------------------------------------------------------------------------------------------

const auth = $("auth");
const apiKeyInput = $<HTMLInputElement>("api-key");
apiKeyInput.value = getApiKey();

function authFailure(error: CallError): void {
  if (error.code !== Code.Unauthenticated && error.code !== Code.PermissionDenied) return;
  auth.hidden = false;
  $("auth-reason").textContent = error.code === Code.Unauthenticated
    ? `The gateway needs an API key: ${error.message}`
    : `This API key may not do that: ${error.message}`;
  apiKeyInput.focus();
}

$<HTMLFormElement>("auth-form").addEventListener("submit", (e) => {
  e.preventDefault();
  setApiKey(apiKeyInput.value);
  generalError.textContent = "";
  void connect();
  // Images that failed to upload for want of a key go up now.
  for (const slot of slots) if (!slot.sha256) ensureUploaded(slot).then(drawSlots, drawSlots);
});

// ---- the model -----------------------------------------------------------------------------------------------

async function connect(): Promise<void> {
  try {
    model = await client.describe({}, { headers: callHeaders() });
  } catch (e) {
    const error = describeError(e);
    $("model").textContent = "not connected";
    generalError.textContent = `Describe failed: ${codeName(error.code)}: ${error.message}`;
    authFailure(error);
    return;
  }
  // Once a key is in use its field stays, to change it.
  auth.hidden = getApiKey() === "";
  $("auth-reason").textContent = getApiKey() ? "Connected with this key." : "";
  $("model").textContent = `${model.model} · ${model.encoder}${model.untrained ? " · untrained: images are noise" : ""}`;
  const current = sampler.value;
  sampler.replaceChildren(
    ...model.samplers.map((s) => new Option(s.title ? `${s.name} — ${s.title}` : s.name, s.name)),
  );
  sampler.value = current && model.samplers.some((s) => s.name === current) ? current : model.defaultSampler;
  if (!steps.value && model.defaultSteps > 0) steps.value = String(model.defaultSteps);
  if (!width.value) width.value = String(model.defaultWidth);
  if (!height.value) height.value = String(model.defaultHeight);
  const step = String(model.vaeScaleFactor > 8 ? model.vaeScaleFactor : 8);
  width.step = height.step = width.min = height.min = step;
  drawSlots();
}

// ---- a run ---------------------------------------------------------------------------------------------------

interface Settings {
  prompt: string;
  slots: Slot[];
  negative: string;
  seed: bigint | null;
  sampler: string;
  steps: number;
  guidance: number;
  width: number;
  height: number;
  numImages: number;
  exactEvery: number;
}

function readSettings(): Settings | null {
  const seedText = seed.value.trim();
  let fixed: bigint | null = null;
  if (!seedRandom.checked) {
    if (!/^[0-9]+$/.test(seedText) || BigInt(seedText) >= 1n << 64n) {
      setFieldError("seed", "seed: a whole number from 0 to 18446744073709551615, or tick Random");
      seed.focus();
      return null;
    }
    fixed = BigInt(seedText);
  }
  return {
    prompt: editor.text,
    slots: [...slots],
    negative: negative.value.trim(),
    seed: fixed,
    sampler: sampler.value,
    steps: Number(steps.value) || 0,
    guidance: guidance.value === "" ? 5 : Number(guidance.value),
    width: Number(width.value) || 0,
    height: Number(height.value) || 0,
    numImages: Number(numImages.value) || 1,
    exactEvery: Number(exactEvery.value) || 0,
  };
}

function writeSettings(s: Settings): void {
  slots = [...s.slots];
  drawSlots();
  editor.text = s.prompt;
  negative.value = s.negative;
  seedRandom.checked = s.seed === null;
  if (s.seed !== null) seed.value = String(s.seed);
  sampler.value = s.sampler;
  steps.value = String(s.steps);
  guidance.value = String(s.guidance);
  width.value = String(s.width);
  height.value = String(s.height);
  numImages.value = String(s.numImages);
  exactEvery.value = String(s.exactEvery);
}

async function request(s: Settings): Promise<MessageInitShape<typeof GenerateRequestSchema>> {
  const images = await Promise.all(s.slots.map((slot) => ensureUploaded(slot)));
  const linear = model?.linearPreview ?? true;
  const exact = linear && s.exactEvery > 0 && s.exactEvery <= Math.max(s.steps, 1) ? s.exactEvery : 0;
  return {
    prompt: { text: s.prompt, images: images.map((sha256) => ({ source: { case: "sha256", value: sha256 } })) },
    negativePrompt: s.negative ? { text: s.negative } : undefined,
    seed: s.seed ?? undefined,
    sampler: s.sampler,
    steps: s.steps,
    guidanceScale: s.guidance,
    width: s.width,
    height: s.height,
    numImages: s.numImages,
    // Every step: a cheap linear projection, and an exact VAE decode every `exact` steps; without linear
    // factors, only the exact ones.
    previewInterval: linear ? 1 : Math.max(s.exactEvery, 1),
    previewKind: linear ? PreviewKind.LINEAR : PreviewKind.LATENT,
    exactPreviewInterval: exact,
  };
}

function setStatus(text: string, state: string): void {
  statusLine.textContent = text;
  statusLine.dataset.state = state;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

async function run(s: Settings): Promise<void> {
  if (running) return;
  clearErrors();
  const abort = new AbortController();
  running = abort;
  generateButton.disabled = true;
  cancelButton.disabled = false;
  progress.value = 0;
  progress.removeAttribute("value");   // indeterminate until the first step
  queueLine.hidden = true;
  preview.hidden = true;
  preview.removeAttribute("src");
  delete preview.dataset.step;
  delete preview.dataset.kind;
  previewEmpty.hidden = false;
  previewCaption.textContent = "";
  setStatus("uploading images…", "uploading");
  const started = performance.now();
  let estimate = "";
  let accepted: { seed: bigint; sampler: string; steps: number; width: number; height: number; guidance: number } | null = null;
  const tick = setInterval(() => {
    timing.textContent = `elapsed ${seconds(performance.now() - started)}${estimate}`;
  }, 100);
  let outcome = "done";
  try {
    let req = await request(s);
    for (let attempt = 0; ; attempt++) {
      try {
        setStatus("starting…", "starting");
        for await (const ev of client.generate(req, { signal: abort.signal, headers: callHeaders() })) {
          const e = ev.event;
          switch (e.case) {
            case "accepted": {
              const a = e.value;
              accepted = { seed: a.seed, sampler: a.sampler, steps: a.steps, width: a.width, height: a.height, guidance: a.guidanceScale };
              seed.value = String(a.seed);
              setStatus(`accepted: seed ${a.seed}, ${a.steps} steps of ${a.sampler}`, "accepted");
              break;
            }
            case "queued":
              queueLine.hidden = false;
              queueLine.textContent = `queued: ${e.value.position === 0 ? "next to start" : `position ${e.value.position}`} (${e.value.active} running)`;
              setStatus("waiting for a denoiser slot", "queued");
              break;
            case "progress": {
              const p = e.value;
              queueLine.hidden = true;
              progress.max = p.total;
              progress.value = p.step;
              const left = p.step > 0 ? (p.elapsedMs / p.step) * (p.total - p.step) : 0;
              estimate = p.step < p.total ? ` · about ${seconds(left)} left` : "";
              setStatus(`step ${p.step} of ${p.total}`, "running");
              break;
            }
            case "preview": {
              const p = e.value;
              if (p.index !== 0) break;   // the first image's preview; the others form alike
              preview.src = dataUrl(p.png);
              preview.dataset.step = String(p.step);
              preview.dataset.kind = p.kind === PreviewKind.LINEAR ? "linear" : "exact";
              preview.alt = `Preview at step ${p.step}`;
              preview.hidden = false;
              previewEmpty.hidden = true;
              previewCaption.textContent = `step ${p.step}${accepted ? ` of ${accepted.steps}` : ""} · ${p.kind === PreviewKind.LINEAR ? "linear preview" : "exact (VAE) preview"}`;
              break;
            }
            case "image": {
              const img = e.value;
              preview.src = dataUrl(img.png);
              preview.dataset.step = "final";
              preview.alt = "The final image";
              previewCaption.textContent = `final image ${img.index + 1} of ${s.numImages}`;
              addResult(img.png, img.index, {
                ...s,
                seed: img.seed,
                sampler: accepted?.sampler ?? s.sampler,
                steps: accepted?.steps ?? s.steps,
                width: img.width,
                height: img.height,
                guidance: accepted?.guidance ?? s.guidance,
              });
              break;
            }
            case "completed":
              timing.textContent = `done in ${seconds(e.value.totalMs)} (encode ${seconds(e.value.encodeMs)}, denoise ${seconds(e.value.denoiseMs)}, decode ${seconds(e.value.decodeMs)})`;
              break;
          }
        }
        break;
      } catch (err) {
        const error = describeError(err);
        // The gateway let an upload go (its store is bounded): upload those images again, once.
        const forgotten = error.code === Code.InvalidArgument && /^(?:negative_)?prompt\.images\[(\d+)\]\.sha256/.exec(error.message);
        if (forgotten && attempt === 0 && !abort.signal.aborted) {
          const slot = s.slots[Number(forgotten[1])];
          if (slot) {
            await ensureUploaded(slot, true);
            req = await request(s);
            continue;
          }
        }
        throw err;
      }
    }
    setStatus("done", "done");
  } catch (err) {
    const error = describeError(err);
    if (abort.signal.aborted || error.code === Code.Canceled) {
      outcome = "cancelled";
      setStatus("cancelled", "cancelled");
    } else {
      outcome = "failed";
      setStatus(`failed: ${codeName(error.code)}`, "failed");
      showError(error);
    }
  } finally {
    clearInterval(tick);
    if (outcome !== "done") timing.textContent = `${outcome} after ${seconds(performance.now() - started)}`;
    queueLine.hidden = true;
    if (progress.getAttribute("value") === null) progress.value = 0;
    running = null;
    generateButton.disabled = false;
    cancelButton.disabled = true;
  }
}

function dataUrl(png: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < png.length; i += 0x8000) binary += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(binary)}`;
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  const s = readSettings();
  if (s) void run(s);
});
cancelButton.addEventListener("click", () => {
  // Aborting the fetch resets the gRPC-Web call; the gateway sees it cancelled and stops the denoiser's work.
  running?.abort();
  setStatus("cancelling…", "cancelling");
});
seed.addEventListener("input", () => {
  seedRandom.checked = false;
  setFieldError("seed", "");
});

// ---- the gallery ---------------------------------------------------------------------------------------------

const galleryImages = new Set<string>();

function isInGallery(slot: Slot): boolean {
  return galleryImages.has(slot.thumb);
}

function addResult(png: Uint8Array, index: number, s: Settings): void {
  const url = URL.createObjectURL(new Blob([png as BlobPart], { type: "image/png" }));
  for (const slot of s.slots) galleryImages.add(slot.thumb);
  const item = document.createElement("li");
  item.className = "result";
  item.dataset.testid = "result";
  item.dataset.seed = String(s.seed);
  const figure = document.createElement("figure");
  const img = document.createElement("img");
  img.src = url;
  img.alt = `Result: ${s.prompt}`;
  const caption = document.createElement("figcaption");
  const prompt = document.createElement("p");
  prompt.className = "result-prompt";
  prompt.textContent = s.prompt;
  const details = document.createElement("dl");
  const rows: [string, string][] = [
    ["seed", String(s.seed)],
    ["sampler", s.sampler],
    ["steps", String(s.steps)],
    ["guidance", String(s.guidance)],
    ["size", `${s.width}×${s.height}`],
  ];
  if (s.negative) rows.push(["negative", s.negative]);
  for (const [k, v] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    details.append(dt, dd);
  }
  const again = document.createElement("button");
  again.type = "button";
  again.textContent = "Re-run with this seed";
  again.dataset.testid = "rerun";
  again.addEventListener("click", () => {
    const settings = { ...s, numImages: 1 };
    writeSettings(settings);
    void run(settings);
  });
  const download = document.createElement("a");
  download.href = url;
  download.download = `unimog-${s.seed}-${index + 1}.png`;
  download.textContent = "Download PNG";
  download.className = "button secondary";
  download.dataset.testid = "download";
  const buttons = document.createElement("div");
  buttons.className = "result-buttons";
  buttons.append(again, download);
  caption.append(prompt, details, buttons);
  figure.append(img, caption);
  item.append(figure);
  gallery.prepend(item);
}

void connect();
