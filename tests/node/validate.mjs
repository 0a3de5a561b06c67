// Validates one GLB with the Khronos glTF validator and prints its JSON report on stdout.
// Usage: node validate.mjs FILE.glb   (exit 0 with a report; exit 2 when no report could be made)
import { readFile } from "node:fs/promises";
import { validateBytes } from "gltf-validator";

const [file] = process.argv.slice(2);
if (!file) {
  console.error("usage: node validate.mjs FILE.glb");
  process.exit(2);
}
try {
  const bytes = new Uint8Array(await readFile(file));
  const report = await validateBytes(bytes, { uri: file, maxIssues: 0, writeTimestamp: false });
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
} catch (error) {
  console.error(`validate.mjs: ${file}: ${error}`);
  process.exit(2);
}
