// The verifier origin a QR text's prefix names, as Python's urlsplit reads it (certsvc/qr/transport.py
// `_origin`): every identifier the credential carries starts with it, so it is part of the dictionary.

import { malformed } from "./errors.js";

const C0_CONTROL_OR_SPACE = /^[\x00-\x20]+/;
const UNSAFE = /[\t\r\n]/g;
const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*$/;

function checkIPv4(text) {
  const octets = text.split(".");
  return (
    octets.length === 4 &&
    octets.every((o) => /^[0-9]{1,3}$/.test(o) && !(o.length > 1 && o[0] === "0") && Number(o) <= 255)
  );
}

/** Python's ipaddress.IPv6Address: hex groups, one '::', an IPv4 tail, a '%scope'. */
function checkIPv6(text) {
  let address = text;
  const percent = address.indexOf("%");
  if (percent >= 0) {
    const scope = address.slice(percent + 1);
    if (!scope || scope.includes("%")) return false;
    address = address.slice(0, percent);
  }
  const parts = address.split(":");
  if (parts.length < 3) return false;
  if (parts[parts.length - 1].includes(".")) {
    if (!checkIPv4(parts.pop())) return false;
    parts.push("0", "0");
  }
  if (parts.length > 9) return false;
  let skip = -1;
  for (let i = 1; i < parts.length - 1; i++) {
    if (!parts[i]) {
      if (skip >= 0) return false;
      skip = i;
    }
  }
  let groups = parts;
  if (skip >= 0) {
    let high = skip;
    let low = parts.length - skip - 1;
    if (!parts[0] && --high) return false;
    if (!parts[parts.length - 1] && --low) return false;
    if (8 - (high + low) < 1) return false;
    groups = [...parts.slice(0, high), ...(low ? parts.slice(-low) : [])];
  } else if (parts.length !== 8 || !parts[0] || !parts[parts.length - 1]) {
    return false;
  }
  return groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g));
}

function checkBracketedHost(host) {
  if (host.startsWith("v")) {
    if (!/^v[a-fA-F0-9]+\.[^\n]+$/.test(host)) throw malformed("invalid IPvFuture address in the QR text");
  } else if (!checkIPv6(host)) {
    // Python refuses an IPv4 address in brackets too.
    throw malformed("invalid IPv6 address in the QR text");
  }
}

/** Python's urlsplit refuses a host that NFKC normalisation would turn into URL delimiters. */
function checkNetloc(netloc) {
  if (!netloc || /^[\x00-\x7f]*$/.test(netloc)) return;
  const plain = netloc.replace(/[@:#?]/g, "");
  const normal = plain.normalize("NFKC");
  if (plain !== normal && /[/?#@:]/.test(normal)) throw malformed("the QR text's host holds invalid characters");
}

/** `scheme://host` of a QR text's prefix, lower-cased, as the server derives it. */
export function originOf(prefix) {
  let url = prefix.toLowerCase().replace(C0_CONTROL_OR_SPACE, "").replace(UNSAFE, "");
  let scheme = "";
  let netloc = "";
  const colon = url.indexOf(":");
  if (colon > 0 && SCHEME.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon);
    url = url.slice(colon + 1);
  }
  if (url.startsWith("//")) {
    const ends = ["/", "?", "#"].map((c) => url.indexOf(c, 2)).filter((i) => i >= 0);
    netloc = url.slice(2, ends.length ? Math.min(...ends) : url.length);
    if (netloc.includes("[") !== netloc.includes("]")) throw malformed("invalid IPv6 address in the QR text");
    if (netloc.includes("[")) {
      const inside = netloc.slice(netloc.indexOf("[") + 1);
      checkBracketedHost(inside.includes("]") ? inside.slice(0, inside.indexOf("]")) : inside);
    }
  }
  checkNetloc(netloc);
  return `${scheme}://${netloc}`;
}

/** The origin's bytes with each non-ASCII character as '?' (Python's encode("ascii", "replace")). */
export function asciiBytes(text) {
  const chars = Array.from(text);
  return Uint8Array.from(chars, (c) => (c.codePointAt(0) < 0x80 ? c.codePointAt(0) : 0x3f));
}
