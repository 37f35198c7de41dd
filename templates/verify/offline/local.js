// The verifier in this phone: the lists the service worker keeps, verified again here against
// the anchors that ship with the page, then the same pipeline and view as the server's.
import { anchorsFromJson, verifyBundle } from "./documents.js";
import { Rules, verify } from "./pipeline.js";
import { resultView } from "./view.js";

const BASE = new URL(".", import.meta.url);
const QR_BASE = new URL("../qr/", import.meta.url);

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

/**
 * A QR preset dictionary, as the service worker keeps it: packed (name.deflate, raw DEFLATE) and
 * unpacked here; the transport then checks it against its published digest.
 */
export async function loadDictionary(name) {
  const packed = await fetch(new URL(`${name}.deflate`, QR_BASE));
  if (!packed.ok) throw new Error(`${name}: ${packed.status}`);
  const unpacked = packed.body.pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(unpacked).arrayBuffer());
}

/** The QR transport decoder, when the page ships it (templates/verify/qr/transport.js). */
async function qrDecoder() {
  try {
    const transport = await import(new URL("transport.js", QR_BASE).href);
    return (text, trustLists) => transport.decodeQrText(text, trustLists, loadDictionary);
  } catch (error) {
    return null;
  }
}

/** Keep only the newest trust list per authority this phone has seen (the service worker records seqs). */
function notRolledBack(trustLists, held) {
  return trustLists.filter((t) => t.seq >= (held[t.authority.id] ?? -1));
}

function asOf(isoTime) {
  const moment = new Date(isoTime);
  if (Number.isNaN(moment.getTime())) return "";
  return moment.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** Verify `text` here; return the result (as the API's) and the view (as the page shows it). */
export async function verifyHere(text, lang, now = Date.now()) {
  const decoder = qrDecoder(); // its modules load while the lists are read and checked
  const [anchorsDoc, bundle, messages, held] = await Promise.all([
    getJson(new URL("anchors.json", BASE)),
    getJson(new URL("lists.json", BASE)),
    getJson(new URL(`messages/${encodeURIComponent(lang)}.json`, BASE)).catch(() => getJson(new URL("messages/en.json", BASE))),
    getJson(new URL("held.json", BASE)).catch(() => ({})),
  ]);
  const { trustLists, statusLists } = await verifyBundle(bundle, anchorsFromJson(anchorsDoc.anchors), now);
  const result = await verify(text, notRolledBack(trustLists, held), statusLists, now, {
    rules: new Rules(anchorsDoc),
    decodeQrText: await decoder,
    maxTrustListAge: anchorsDoc.max_trust_list_age_days * 86400,
  });
  const checked = messages.checked_here.replace("%(date)s", asOf(bundle.fetched_at));
  return { result, view: resultView(result, messages, checked) };
}
