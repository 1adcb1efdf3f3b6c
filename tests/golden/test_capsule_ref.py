"""Unit tests of the CAPSULE reference (capsule_ref.py over trs_ref.py) that
the gateway's golden and end-to-end tests trust: round trips of both suites,
the key derivation and the suite-1 body and tag, and the suite-2 ciphertext
cross-checked against OpenSSL's command line (an implementation independent
of python3-cryptography), and every refusal: bad tag, bad padding, truncated,
replay, wrong path, wrong key. Runs without the data plane."""

import os
import subprocess

import pytest

import capsule_ref as C
import trs_ref as T

KEY = bytes(range(32))
PID = bytes.fromhex("00112233445566778899aabbccddeeff")
INNER = bytes.fromhex("4500001c000100004011f96c0a4d00020a000001") + b"12345678"


def openssl(*args, data=b""):
    p = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


def openssl_hmac(digest, key, data):
    out = openssl("dgst", "-" + digest, "-mac", "HMAC", "-macopt", "hexkey:" + key.hex(), "-r", data=data)
    return bytes.fromhex(out.split()[0].decode())


@pytest.mark.parametrize("suite", [1, 2])
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 1400, 1500, 9000])
def test_round_trip(suite, size):
    tx, rx = C.Sender(KEY, suite, PID), C.Receiver(KEY, suite, PID)
    inner = os.urandom(size)
    for _ in range(3):
        msg = tx.seal(inner)
        h = T.Hdr.unpack(msg)
        assert h.type == C.CAPSULE and h.id == PID and h.msg_len == len(msg) and h.flag == 0
        assert rx.open(msg) == inner
    assert tx.seq == 3


def test_kdf_matches_openssl():
    enc, mac = T.kdf(KEY)
    assert enc == openssl_hmac("sha256", KEY, b"anyway-enc")
    assert mac == openssl_hmac("sha256", KEY, b"anyway-mac")


def test_suite1_body_and_tag_match_openssl():
    iv = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf")
    msg = C.Sender(KEY, 1, PID, txid=7).seal(INNER, iv=iv)
    enc, mac = T.kdf(KEY)
    header, body, tag = msg[:32], msg[32:-16], msg[-16:]
    # openssl enc pads with PKCS#7 by default
    ct = openssl("enc", "-aes-256-cbc", "-K", enc.hex(), "-iv", iv.hex(), data=INNER)
    assert body == iv + ct
    assert tag == openssl_hmac("md5", mac, header + body)
    assert struct_fields(header) == (7, 1, 0, C.CAPSULE, 0, 1, len(msg), 0, 0, PID)


def struct_fields(header):
    h = T.Hdr.unpack(header)
    return (h.txid, h.version, h.flag, h.type, h.count, h.seq, h.msg_len, h.next_opt, h.reserved, h.id)


def test_suite2_ciphertext_matches_openssl_ctr():
    """GCM encrypts with AES-CTR from counter block nonce || 00000002."""
    msg = C.Sender(KEY, 2, PID, txid=0x01020304).seal(INNER)
    enc, _ = T.kdf(KEY)
    header = msg[:32]
    nonce = bytes([C.CAPSULE, 0, 0, 0]) + bytes.fromhex("01020304") + (1).to_bytes(4, "big")
    assert T.Key.nonce(header) == nonce
    ct = openssl("enc", "-aes-256-ctr", "-K", enc.hex(), "-iv", (nonce + b"\0\0\0\x02").hex(), data=INNER)
    assert msg[32:-16] == ct
    assert C.Receiver(KEY, 2, PID).open(msg) == INNER


@pytest.mark.parametrize("suite", [1, 2])
def test_refusals(suite):
    tx = C.Sender(KEY, suite, PID)
    msg = tx.seal(INNER)

    def refused(m, why, rx=None):
        rx = rx or C.Receiver(KEY, suite, PID)
        with pytest.raises(C.Refused, match=why):
            rx.open(m)

    bad_tag = msg[:-1] + bytes([msg[-1] ^ 1])
    refused(bad_tag, "bad tag")
    flipped_body = msg[:40] + bytes([msg[40] ^ 0x80]) + msg[41:]
    refused(flipped_body, "bad tag")
    flipped_header = msg[:4] + bytes([msg[4]]) + bytes([msg[5] ^ 1]) + msg[6:]  # the flag
    refused(flipped_header, "bad tag")
    refused(msg[:-5], "malformed: msg_len")  # truncated datagram
    refused(msg[:40], "malformed")
    refused(msg[:20], "malformed: truncated")
    refused(msg, "bad tag", C.Receiver(bytes(32), suite, PID))  # wrong key
    refused(msg, "unknown path", C.Receiver(KEY, suite, bytes(16)))
    rx = C.Receiver(KEY, suite, PID)
    assert rx.open(msg) == INNER
    refused(msg, "replay", rx)


def test_suite1_padding_and_length_errors_after_a_good_tag():
    """Bodies only a key holder can make: the tag is good, the plaintext is not."""
    k = T.Key(KEY, 1)
    enc, _ = T.kdf(KEY)
    iv = bytes(16)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    e = Cipher(algorithms.AES(enc), modes.CBC(iv)).encryptor()
    bad_pad = iv + e.update(b"A" * 15 + b"\x11") + e.finalize()  # pad byte 17 > 16
    hdr = T.Hdr(type=C.CAPSULE, seq=1, id=PID)
    with pytest.raises(C.Refused, match="bad padding"):
        C.Receiver(KEY, 1, PID).open(k.sign(hdr, bad_pad))
    with pytest.raises(C.Refused, match="bad body length"):
        C.Receiver(KEY, 1, PID).open(k.sign(hdr, iv + b"x" * 5))


def test_replay_window():
    w = C.ReplayWindow()
    assert not w.check(0)
    assert w.check(1) and w.check(3) and w.check(2)
    assert not w.check(2) and not w.check(3)
    assert w.check(100)
    assert not w.check(36)        # 64 behind the newest: outside the window
    assert w.check(37)            # 63 behind: inside, new
    assert not w.check(37)
    assert w.check(1000) and not w.check(100)


def test_gateway_direction_nonces_differ():
    """A node's and a gateway's capsules under the same key never share a GCM
    nonce while the gateway sets R (the reference's receiver accepts either)."""
    node, gw = C.Sender(KEY, 2, PID, txid=5), C.Sender(KEY, 2, PID, flag=T.FLAG_R, txid=5)
    a, b = node.seal(INNER), gw.seal(INNER)
    assert T.Key.nonce(a[:32]) != T.Key.nonce(b[:32])
    assert C.Receiver(KEY, 2, PID).open(b) == INNER
    assert a[32:-16] != b[32:-16]  # distinct keystreams
