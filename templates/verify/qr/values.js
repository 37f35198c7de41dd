// Values the transport carries as raw bytes: digests, dates and times (certsvc/qr/values.py,
// and the time helpers of certsvc/qr/markers.py). Calendar arithmetic is done on whole days, so
// it holds for any year 1 to 9999, as Python's datetime does.

import { base64url, hex, latin1, bigEndian } from "./bytes.js";
import { malformed } from "./errors.js";

const DAY = 86400;
/** 1900-01-01, the day numbers' day 0, in days since 1970-01-01. */
const DAY_ZERO = -25567;
const MAX_SECONDS = 0xffffffff;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The [year, month, day] of days since 1970-01-01. */
function civilFromDays(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function daysInMonth(year, month) {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const pad = (number, width) => String(number).padStart(width, "0");

function isoDate(days) {
  const [year, month, day] = civilFromDays(days);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Seconds since 1970 (negative before) of a `YYYY-MM-DDTHH:MM:SSZ` value Python's datetime reads, else null. */
function timestampSeconds(value) {
  if (value.length !== 20) return null;
  const text = String.fromCharCode(...value);
  if (!TIMESTAMP.test(text)) return null;
  const [year, month, day, hour, minute, second] = [[0, 4], [5, 7], [8, 10], [11, 13], [14, 16], [17, 19]].map(
    ([from, to]) => Number(text.slice(from, to)),
  );
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return daysFromCivil(year, month, day) * DAY + hour * 3600 + minute * 60 + second;
}

/** The JWT numeric time of a `YYYY-MM-DDTHH:MM:SSZ` value as decimal text bytes, else null (markers.epoch_of). */
export function epochOf(value) {
  const seconds = timestampSeconds(value);
  return seconds === null ? null : latin1(String(seconds));
}

/** Seconds since 1970 of a canonical timestamp from 1970 to 2106, else null (values.seconds_of). */
export function secondsOf(value) {
  const seconds = timestampSeconds(value);
  return seconds !== null && seconds >= 0 && seconds <= MAX_SECONDS ? seconds : null;
}

/** The `YYYY-MM-DDTHH:MM:SSZ` bytes of seconds since 1970 (values.moment_of). */
export function momentOf(seconds) {
  if (!(seconds >= 0 && seconds <= MAX_SECONDS)) throw malformed("the QR data holds a time out of range");
  const days = Math.floor(seconds / DAY);
  const rest = seconds - days * DAY;
  const clock = `${pad(Math.floor(rest / 3600), 2)}:${pad(Math.floor((rest % 3600) / 60), 2)}:${pad(rest % 60, 2)}`;
  return latin1(`${isoDate(days)}T${clock}Z`);
}

const dayOf = (raw) => isoDate(DAY_ZERO + bigEndian(raw));

/** A codec: the marker byte, the side-channel bytes it takes, and the value they stand for. */
const codec = (marker, size, fromRaw) => ({ marker, size, fromRaw });

/** The codecs of format version 1 (and 2). */
export const CODECS = [
  codec(0x01, 32, (raw) => latin1("sha256$" + hex(raw))),
  codec(0x04, 2, (raw) => latin1(dayOf(raw) + "T00:00:00Z")),
  codec(0x05, 2, (raw) => latin1(dayOf(raw))),
];
/** Format version 2 adds timestamps at any second and 8-character base64url salts. */
export const V2_CODECS = [...CODECS, codec(0x08, 4, (raw) => momentOf(bigEndian(raw))), codec(0x0b, 6, (raw) => latin1(base64url(raw)))];
export const V2_BY_MARKER = new Map(V2_CODECS.map((c) => [c.marker, c]));
const V1_BY_MARKER = new Map(CODECS.map((c) => [c.marker, c]));

/** Put the side channel's values back in place of their one-byte markers (format version 1). */
export function restore(values, side) {
  let position = 0;
  const restored = values.map((value) => {
    const found = value.length === 1 ? V1_BY_MARKER.get(value[0]) : undefined;
    if (found === undefined) return value;
    const raw = side.subarray(position, position + found.size);
    if (raw.length !== found.size) throw malformed("the QR data refers to a value it does not hold");
    position += found.size;
    return found.fromRaw(raw);
  });
  if (position !== side.length) throw malformed("the QR data holds bytes it does not use");
  return restored;
}
