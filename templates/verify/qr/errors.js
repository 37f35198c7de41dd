// The QR transport's errors, with the reason codes of certsvc/credentials/errors.py and
// certsvc/qr/errors.py, so that the browser and the server refuse a QR text for the same reason.

export const MALFORMED = "qr_malformed";
export const TOO_LARGE = "input_too_large";
export const UNSUPPORTED_VERSION = "qr_unsupported_version";
export const CATALOGUE_UNKNOWN = "qr_catalogue_unknown";

export class QrError extends Error {
  /** An error of the QR transport: `code` is the reason code the server gives for the same input. */
  constructor(code, message, data = {}) {
    super(message);
    this.name = "QrError";
    this.code = code;
    this.data = data;
  }
}

/** Refuse malformed QR data (qr_malformed). */
export function malformed(message) {
  return new QrError(MALFORMED, message);
}

/** Refuse input past one of the decoder's limits (input_too_large). */
export function tooLarge(message, limit) {
  return new QrError(TOO_LARGE, message, { limit });
}
