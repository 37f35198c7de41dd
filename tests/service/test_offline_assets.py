"""What the phone keeps for offline use is small: the QR dictionaries travel packed and unpack exactly."""

from __future__ import annotations

import zlib

from flask import Flask

from certsvc.qr.dictionary import PUBLISHED, dictionary


def test_the_packed_dictionaries_unpack_to_the_published_ones_and_are_what_the_phone_keeps(app: Flask) -> None:
    client = app.test_client()
    for version in sorted(PUBLISHED):
        name = f"qr-dict-v{version}.bin"
        packed = client.get(f"/verify/assets/qr/{name}.deflate")
        assert packed.status_code == 200 and "public" in packed.headers["Cache-Control"]
        assert zlib.decompress(packed.data, -15) == dictionary(version)
        assert len(packed.data) < len(dictionary(version)) / 2
        assert client.get(f"/verify/assets/qr/{name}").data == dictionary(version)  # for other verifiers
    worker = client.get("/verify/assets/offline/sw.js").get_data(as_text=True)
    assert "qr-dict-v2.bin.deflate" in worker and '"/verify/assets/qr/qr-dict-v2.bin"' not in worker
    assert client.get("/verify/assets/qr/qr-dict-v9.bin.deflate").status_code == 404
