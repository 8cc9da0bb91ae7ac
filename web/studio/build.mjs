// Bundles the page into OUT (default ../../hosts/UnimoG.Studio/wwwroot): index.html, one JS bundle and one
// stylesheet, named by a hash of their content (the server sends index.html uncached, so a new build is seen at
// once). The same sources and package-lock.json give the same bytes: no timestamps, no absolute paths, no source
// maps, no legal-comment files.
//   node build.mjs [OUT]
import { build } from "esbuild";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, "../../hosts/UnimoG.Studio/wwwroot"));

const result = await build({
  absWorkingDir: here,
  entryPoints: { studio: "src/main.ts", "studio-style": "src/studio.css" },
  bundle: true,
  format: "esm",
  target: ["es2022", "chrome109", "firefox115", "safari16"],
  minify: true,
  legalComments: "none",
  charset: "utf8",
  sourcemap: false,
  entryNames: "[name]-[hash]",
  write: false,
  outdir: "out",
  metafile: true,
  logLevel: "warning",
});

const names = {};
for (const file of result.outputFiles) names[path.extname(file.path)] = path.basename(file.path);
if (!names[".js"] || !names[".css"]) throw new Error("esbuild gave no .js or no .css");

// The folder is the build's alone: what an earlier build left there goes.
await mkdir(out, { recursive: true });
for (const entry of await readdir(out)) await rm(path.join(out, entry), { recursive: true, force: true });
for (const file of result.outputFiles) await writeFile(path.join(out, path.basename(file.path)), file.contents);
const html = (await readFile(path.join(here, "src/index.html"), "utf8"))
  .replace("{{js}}", names[".js"])
  .replace("{{css}}", names[".css"]);
await writeFile(path.join(out, "index.html"), html);
for (const file of [...result.outputFiles.map((f) => path.basename(f.path)), "index.html"].sort())
  console.log(`${path.relative(process.cwd(), path.join(out, file))}`);
