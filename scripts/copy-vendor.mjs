// Copies the dist files the portal uses from node_modules into src/ladeportal/web/static/vendor/.
// The vendor directory is generated (gitignored): packages come from npm through package-lock.json,
// never copied into the repository by hand. Run: `npm ci && node scripts/copy-vendor.mjs`.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "src", "ladeportal", "web", "static", "vendor");

// [package, file inside the package, name under vendor/]
const FILES = [
  ["@tabler/core", "dist/css/tabler.min.css", "tabler/tabler.min.css"],
  ["@tabler/core", "dist/js/tabler.min.js", "tabler/tabler.min.js"],
  ["htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"],
  // Charts of the reports page only (the UMD build bundles its one dependency, @kurkle/color).
  ["chart.js", "dist/chart.umd.min.js", "chartjs/chart.umd.min.js"],
];

rmSync(vendor, { recursive: true, force: true });
const versions = {};
for (const [pkg, file, target] of FILES) {
  const source = join(root, "node_modules", pkg, file);
  if (!existsSync(source)) {
    console.error(`missing ${source}: run \`npm ci\` first`);
    process.exit(1);
  }
  const dest = join(vendor, target);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(source, dest);
  versions[pkg] = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")).version;
}
// The portal appends these versions to asset URLs, so a browser never keeps a stale copy after an upgrade.
writeFileSync(join(vendor, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
console.log(`copied ${FILES.length} files into ${vendor}`);
