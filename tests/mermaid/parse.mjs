// Parses each Mermaid file named on the command line with Mermaid's own parser and prints,
// per file, one JSON line: {"file", "ok", "error", "vertices", "edges", "subgraphs"} with the
// label texts as Mermaid holds them. Mermaid needs a DOM (DOMPurify), which jsdom provides.
import { readFileSync } from "fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  const result = { file, ok: true, error: null, vertices: [], edges: [], subgraphs: [] };
  try {
    await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    result.vertices = [...diagram.db.getVertices().values()].map((v) => v.text);
    result.edges = diagram.db.getEdges().map((e) => e.text);
    result.subgraphs = diagram.db.getSubGraphs().map((s) => s.title);
  } catch (e) {
    result.ok = false;
    result.error = String((e && e.message) || e);
  }
  console.log(JSON.stringify(result));
}
