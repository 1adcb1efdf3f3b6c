/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * aw_trs_msg — the TRS message format (SPEC §5.1): the 32-byte Base Header,
 * the type codes, a strict parser of a UDP payload and builders.
 *
 * Wire layout (network byte order), then the body, then a 16-byte tag:
 *   0 txid(32) | 4 version(8)=1 | 5 flag(8) | 6 type(8) | 7 count(8) |
 *   8 seq(32) | 12 msg_len(16) | 14 next_opt(8) | 15 reserved(8) | 16 id(128)
 *
 * Contract: pure functions on caller memory, no state, no allocation: any
 * thread may call any of them at any time. Payloads may be unaligned (every
 * multi-byte field is read with memcpy).
 *
 * Parse rule (aw_trs_parse): the UDP payload must be exactly one message:
 * length >= AW_TRS_MIN_LEN (48: header + tag), version == 1, msg_len equal to
 * the payload length (not merely <=: trailing bytes are refused, so the bytes
 * the relay forwards are exactly the bytes the tag covers), and a type code
 * from AW_TRS_TYPES. flag bits other than R, count, next_opt and reserved are
 * carried as they are (the tag covers them); they are not checked here.
 */
#ifndef AW_TRS_MSG_H
#define AW_TRS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AW_TRS_HDR_LEN      32
#define AW_TRS_TAG_LEN      16
#define AW_TRS_MIN_LEN      (AW_TRS_HDR_LEN + AW_TRS_TAG_LEN)
#define AW_TRS_MAX_LEN      65535u /* msg_len is 16 bits */
#define AW_TRS_VERSION      1
#define AW_TRS_ID_LEN       16
#define AW_TRS_FLAG_R       0x01 /* 1 = sent by the Responder, 0 = by the Initiator */
#define AW_TRS_PORT_DEFAULT 7811

/* Byte offsets of the header fields. */
#define AW_TRS_OFF_TXID     0
#define AW_TRS_OFF_VERSION  4
#define AW_TRS_OFF_FLAG     5
#define AW_TRS_OFF_TYPE     6
#define AW_TRS_OFF_COUNT    7
#define AW_TRS_OFF_SEQ      8
#define AW_TRS_OFF_MSG_LEN  12
#define AW_TRS_OFF_NEXT_OPT 14
#define AW_TRS_OFF_RESERVED 15
#define AW_TRS_OFF_ID       16

/* SPEC §5.1 type codes: X(NAME, code). */
#define AW_TRS_TYPES(X)                                                                            \
	X(ACK, 0x01)                                                                               \
	X(LOGIN_REQUEST, 0x10)                                                                     \
	X(LOGIN_RESPONSE, 0x11)                                                                    \
	X(REGISTRATION_REQUEST, 0x20)                                                              \
	X(REGISTRATION_RESPONSE, 0x21)                                                             \
	X(KEEP_ALIVE, 0x22)                                                                        \
	X(DIRECTION_REQUEST, 0x30)                                                                 \
	X(ROUTE_DIRECTION, 0x31)                                                                   \
	X(ROUTE_DIRECTION_CONFIRM, 0x32)                                                           \
	X(RELAY_REQUEST, 0x40)                                                                     \
	X(RELAY_RESPONSE, 0x41)                                                                    \
	X(HOLE_PUNCHING, 0x50)                                                                     \
	X(TUNNEL_REQUEST, 0x51)                                                                    \
	X(TUNNEL_RESPONSE, 0x52)                                                                   \
	X(CAPSULE, 0x60)

enum aw_trs_type {
#define AW_TRS_TYPE_ENUM(name, code) AW_TRS_T_##name = code,
	AW_TRS_TYPES(AW_TRS_TYPE_ENUM)
#undef AW_TRS_TYPE_ENUM
};

/*
 * Every error of lib/trs (message, crypto and replay window): X(NAME, text).
 * Calls return 0 (AW_TRS_OK) or one of these codes (positive), so a caller
 * can count drops in an array indexed by the code (AW_TRS_E__COUNT entries).
 */
#define AW_TRS_ERRORS(X)                                                                           \
	X(OK, "ok")                                                                                \
	X(TRUNCATED, "shorter than header + tag")                                                  \
	X(BAD_VERSION, "version is not 1")                                                         \
	X(LEN_MISMATCH, "msg_len differs from the payload length")                                 \
	X(UNKNOWN_TYPE, "unknown message type")                                                    \
	X(BAD_ARG, "invalid argument")                                                             \
	X(NO_SPACE, "message does not fit the buffer or 65535 bytes")                              \
	X(BAD_SUITE, "unknown cipher suite")                                                       \
	X(BAD_BODY_LEN, "encrypted body length is not valid for the suite")                        \
	X(BAD_TAG, "tag verification failed")                                                      \
	X(BAD_PADDING, "bad PKCS#7 padding")                                                       \
	X(NO_MB_KEY, "key not expanded for intel-ipsec-mb")                                        \
	X(CRYPTO_FAIL, "crypto library call failed")                                               \
	X(REPLAY_DUP, "replay: sequence number already seen")                                      \
	X(REPLAY_OLD, "replay: sequence number older than the window")                             \
	X(REPLAY_WRAP, "replay: sequence number wrapped past 2^32-1")

enum aw_trs_err {
#define AW_TRS_ERR_ENUM(name, text) AW_TRS_E_##name,
	AW_TRS_ERRORS(AW_TRS_ERR_ENUM)
#undef AW_TRS_ERR_ENUM
	        AW_TRS_E__COUNT
};
#define AW_TRS_OK AW_TRS_E_OK

/* Host-order copy of the Base Header. */
struct aw_trs_hdr {
	uint32_t txid;
	uint8_t version;
	uint8_t flag;
	uint8_t type;
	uint8_t count;
	uint32_t seq;
	uint16_t msg_len;
	uint8_t next_opt;
	uint8_t reserved;
	uint8_t id[AW_TRS_ID_LEN]; /* PathID for every message the relay handles */
};

/* A parsed message: pointers into the caller's payload, valid as long as it is. */
struct aw_trs_view {
	struct aw_trs_hdr hdr;
	const uint8_t *body;
	size_t body_len;    /* msg_len - 48 */
	const uint8_t *tag; /* AW_TRS_TAG_LEN bytes */
};

/* "ACK", ..., or NULL for a code outside AW_TRS_TYPES. */
const char *aw_trs_type_name(unsigned type);
bool aw_trs_type_known(unsigned type);
/* Upper-case name of an error code ("BAD_TAG"); "?" when out of range. */
const char *aw_trs_err_name(int err);
/* Human text of an error code. */
const char *aw_trs_strerror(int err);

/*
 * Strict parse of one UDP payload (rule above). Errors, checked in this order:
 * BAD_ARG (NULL pointers), TRUNCATED, BAD_VERSION, LEN_MISMATCH, UNKNOWN_TYPE.
 * On error *v is unspecified.
 */
int aw_trs_parse(const void *payload, size_t len, struct aw_trs_view *v);

/* Read / write the 32 header bytes (no checks; p may be unaligned). */
void aw_trs_hdr_read(const void *p, struct aw_trs_hdr *h);
void aw_trs_hdr_write(void *p, const struct aw_trs_hdr *h);
/* Single fields of a wire header. */
uint32_t aw_trs_get_seq(const void *msg);
uint16_t aw_trs_get_msg_len(const void *msg);
void aw_trs_set_msg_len(void *msg, uint16_t msg_len);

/*
 * Builder (tests, bench, tools): header h (its version and msg_len are
 * ignored: version 1 and 48 + body_len are written), then body_len bytes of
 * body (copied with memmove, so body may already sit at buf + 32; NULL means
 * zeros), then a zero tag. Returns the message length, or 0 when it exceeds
 * cap or AW_TRS_MAX_LEN.
 */
size_t aw_trs_build(void *buf, size_t cap, const struct aw_trs_hdr *h, const void *body,
                    size_t body_len);

#endif /* AW_TRS_MSG_H */
