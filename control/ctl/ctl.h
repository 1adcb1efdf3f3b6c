/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * anyway-ctl — shared declarations of the operator CLI's modules.
 *
 * Contract: a single-threaded, short-lived program. main (ctl_main.c) parses
 * the global options into struct ctl_opts and hands the command words to
 * ctl_dispatch (ctl_cmd.c), which finds the command in the one table
 * (ctl_cmds.c: words, target daemon, request op, argument parser, output
 * formatter, help line), checks the argument count, and runs it: the parser
 * fills the request, ctl_conn.c sends it (one connection, one request line,
 * one reply line), the formatter prints the reply through ctl_out.c (aligned
 * tables, key/value lists). --help is generated from the same table. The
 * generic parsers are in ctl_args.c, the generic formatters in ctl_out.c;
 * the commands' own live with their daemon: ctl_dp.c (the data plane's API),
 * ctl_mapd.c (the map server).
 *
 * Exit codes: CTL_OK 0, CTL_ERR 1 (connection refused, timeout, an API error
 * reply, a malformed reply), CTL_USAGE 2 (bad command line). Every error is one
 * line on stderr starting with "anyway-ctl: ".
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "aw_tls.h"

#define CTL_PROG "anyway-ctl"

#define CTL_OK    0
#define CTL_ERR   1
#define CTL_USAGE 2

#define CTL_DEFAULT_SOCKET "/run/anyway/dataplane.sock"
#define CTL_DEFAULT_MAPD   "127.0.0.1:7810"
#define CTL_DEFAULT_AGENT  "/run/anyway/agent.sock"
#define CTL_DEFAULT_TIMEOUT_MS 5000
#define CTL_DEFAULT_LIST_MAX   1000 /* rows of sessions / relays without "limit" */

struct ctl_opts {
	const char *socket;  /* data plane API socket */
	const char *mapd;    /* HOST:PORT of the map server */
	const char *agent;   /* agent status socket */
	bool mapd_given;     /* --mapd on the command line: services etc. go there */
	bool json;           /* print raw replies */
	int timeout_ms;      /* per connect / reply */
	bool stats;          /* --stats: the command's counters (ctl_cmd.stats_op) */
	int interval_s;      /* -i: repeat every this many seconds (ctl_cmd.watch); 0: once */
	long long count;     /* -c: that many times; 0: until interrupted */
	struct aw_tls_opts tls; /* --ca/--cert/--key/--insecure: map server connections */
};

/* One peer: where it is, how it is named in errors. */
enum ctl_peer_kind { CTL_PEER_DATAPLANE, CTL_PEER_MAPD, CTL_PEER_AGENT };

struct ctl_conn {
	enum ctl_peer_kind kind;
	const char *what;  /* "data plane" / "map server" / "agent" */
	const char *where; /* the socket path or HOST:PORT */
	int fd;
	int timeout_ms;
	void *lb;          /* struct aw_linebuf, owned */
	struct aw_tls *tls; /* map server over TLS: context and connection, owned */
	struct ssl_st *ssl;
};

/* ---- the command table (ctl_cmds.c) --------------------------------------- */
struct ctl_cmd;
struct ctl_table;

/* Fills req (which already holds "op") from the argv[0..argc) after the
 * command words; returns CTL_OK or CTL_USAGE after printing why. */
typedef int (*ctl_parse_fn)(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
/* Prints a CTL_OK reply on stdout (never called in --json mode); returns
 * CTL_OK, or CTL_ERR after printing why (a reply of the wrong shape). */
typedef int (*ctl_show_fn)(const struct ctl_cmd *c, const json_t *reply);
/* Appends one row for one element of a paged list. */
typedef void (*ctl_row_fn)(struct ctl_table *t, const json_t *elem);

/* When an entry applies: the --mapd option moves some commands. */
enum ctl_when { CTL_ALWAYS, CTL_WITH_MAPD, CTL_WITHOUT_MAPD };

/* A list fetched page by page: op with "limit" and "cursor" until the cursor
 * is null or the "limit" the parser set (default CTL_DEFAULT_LIST_MAX) rows
 * were seen; the rows of all pages in one table, then "N <key>". */
struct ctl_pager {
	const char *const *columns; /* headers, NULL-terminated */
	ctl_row_fn row;
};

struct ctl_cmd {
	const char *word;       /* first command word */
	const char *sub;        /* second word, or NULL for one-word commands */
	bool bare;              /* the first word alone runs this entry too */
	enum ctl_when when;
	enum ctl_peer_kind peer;
	const char *role;       /* map server: the hello role; NULL otherwise */
	const char *op;         /* the request's "op" */
	int min_args, max_args; /* words after the command words; max -1: any */
	ctl_parse_fn parse;     /* NULL: the command takes no arguments */
	ctl_show_fn show;       /* NULL only for paged lists */
	const char *key;        /* the reply member show or the pager reads, or NULL */
	const struct ctl_pager *pager; /* non-NULL: a paged list */
	const char *usage;      /* the arguments, "" when none (help, usage errors) */
	const char *help;       /* one line for --help */
	/* --stats: this op and formatter instead (NULL: the option is refused) */
	const char *stats_op;
	ctl_show_fn stats_show;
	/* -i SECONDS [-c COUNT]: runs instead of one request (NULL: refused) */
	int (*watch)(const struct ctl_opts *o, const struct ctl_cmd *c);
};

extern const struct ctl_cmd ctl_cmds[];
extern const size_t ctl_n_cmds;

/* ---- ctl_cmd.c: dispatch and help ----------------------------------------- */
/* argv[0] is the command word; returns a CTL_* exit code. */
int ctl_dispatch(const struct ctl_opts *o, int argc, char **argv);
/* The whole --help text, generated from the table. */
void ctl_help(FILE *f);
/* "word sub" / "word" of an entry into buf. */
const char *ctl_cmd_name(const struct ctl_cmd *c, char *buf, size_t len);
/* Prints "usage: <name> <usage>" as a usage error; returns CTL_USAGE. */
int ctl_cmd_usage(const struct ctl_cmd *c);

/* ---- ctl_conn.c ---------------------------------------------------------- */
/* "data plane" / "map server" / "agent". */
const char *ctl_peer_name(enum ctl_peer_kind kind);
/* Connects to the peer (unix path, or HOST:PORT / [V6]:PORT for the map
 * server). On failure prints the error and returns CTL_ERR. */
int ctl_connect(struct ctl_conn *c, enum ctl_peer_kind kind, const struct ctl_opts *o);
/* Map server only: sends hello with the role and checks its reply. */
int ctl_hello(struct ctl_conn *c, const char *role);
/* Sends req (not stolen), reads one reply into *reply (raw line in *raw when
 * raw != NULL, caller free()s). A reply {"ok":false} prints
 * "anyway-ctl: <what>: <op>: <error>" and returns CTL_ERR (with *reply set).
 * Lines with "op":"ping" from the map server are skipped. */
int ctl_call(struct ctl_conn *c, json_t *req, json_t **reply, char **raw);
void ctl_close(struct ctl_conn *c);
/* Connect (+ hello for the map server), one call, close. role: NULL for the
 * data plane and the agent. */
int ctl_call_once(const struct ctl_opts *o, enum ctl_peer_kind kind, const char *role,
		  json_t *req, json_t **reply, char **raw);
/* One request to a peer (connect, hello when role != NULL, call, close); req
 * is stolen. A map server request is first checked with lib/proto's codec
 * (a bad argument is a usage error, nothing is sent). In --json mode the raw
 * reply goes to stdout (an error reply too). *reply is NULL unless CTL_OK. */
int ctl_request(const struct ctl_opts *o, enum ctl_peer_kind kind, const char *role, json_t *req,
		json_t **reply);

/* ---- ctl_out.c ----------------------------------------------------------- */
/* "anyway-ctl: <message> (see anyway-ctl --help)" on stderr; CTL_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "anyway-ctl: <message>" on stderr; CTL_ERR. */
int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Column headers, NULL-terminated. */
struct ctl_table *ctl_table_new(const char *const *headers);
/* Appends a row of cells (copied); n must equal the number of headers. */
void ctl_table_row(struct ctl_table *t, const char *const *cells);
/* Prints headers and rows, columns aligned (two spaces apart), and frees t. */
void ctl_table_print(struct ctl_table *t);
/* Frees t without printing it. */
void ctl_table_free(struct ctl_table *t);
/* A JSON value as a cell: strings unquoted, null as "-", others compact. */
char *ctl_cell(const json_t *v);
/* A cell for an endpoint: {addr, port} objects become "addr:port" ("[v6]:port"),
 * anything else as ctl_cell. */
char *ctl_endpoint_cell(const json_t *v);
/* The non-zero integer members of obj as "k=v k=v", "-" when none. */
char *ctl_nonzero_cell(const json_t *obj);
/* "key  value" lines for the scalar members of obj, aligned, nested objects
 * flattened as "a.b"; arrays of objects printed as tables after them. Keys in
 * skip (NULL-terminated, may be NULL) are left out, and "ok" always is. */
void ctl_print_object(const json_t *obj, const char *const *skip);
/* A table of an array of objects: columns from the keys of all rows, first
 * seen first; "(none)" when empty. */
void ctl_print_array(const json_t *arr);
/* "title: k1 v1, k2 v2" for the non-zero integer members, or "title: none". */
void ctl_print_nonzero(const char *title, const json_t *obj);
/* Rows SERVICE SID DESTINATION PRIORITY WEIGHT, one per destination. */
void ctl_print_services(const json_t *services);
/* A reply's array member, or CTL_ERR "<peer>: <op>: reply has no '<key>' array". */
int ctl_reply_array(const struct ctl_cmd *c, const json_t *reply, const char *key,
		    const json_t **arr);
/* Generic formatters: the reply (or its member c->key) as key/value lines
 * and tables; the array c->key of the reply as a table. */
int ctl_show_object(const struct ctl_cmd *c, const json_t *reply);
int ctl_show_list(const struct ctl_cmd *c, const json_t *reply);

/* ---- ctl_args.c ---------------------------------------------------------- */
/* Parses a decimal integer in [min, max] into *out; usage error naming what. */
int ctl_parse_int(const char *s, const char *what, long long min, long long max, long long *out);
/* "ADDR:PORT" / "[V6]:PORT" into a new {addr, port} object in *out. */
int ctl_parse_endpoint(const char *s, json_t **out);
/* Optional "KEYWORD VALUE" pairs after the positional arguments. */
struct ctl_kw {
	const char *word;   /* on the command line */
	const char *member; /* in the request */
	long long min, max;
};
/* Sets req[kw->member] for each pair of argv[0..argc) (kw ends with a NULL
 * word); an odd count is the command's usage error, an unknown keyword is
 * "<name>: unknown keyword 'X' (w1, w2, ...)". */
int ctl_parse_keywords(const struct ctl_cmd *c, const struct ctl_kw *kw, int argc, char **argv,
		       json_t *req);
/* The single argument as one string member: "addr" (vip del), "service"
 * (service del / get), "path_id" (relay get / del). */
int ctl_parse_addr(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
int ctl_parse_service(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
int ctl_parse_path_id(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
/* [limit N] of the paged lists into req's "limit". */
int ctl_parse_limit(const struct ctl_cmd *c, int argc, char **argv, json_t *req);

/* ---- the commands' own parsers and formatters --------------------------- */
/* ctl_dp.c: the data plane. */
int ctl_show_stats(const struct ctl_cmd *c, const json_t *reply);
int ctl_show_config(const struct ctl_cmd *c, const json_t *reply);
int ctl_show_services(const struct ctl_cmd *c, const json_t *reply);
int ctl_parse_vip_add(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
int ctl_parse_listener(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
int ctl_parse_service_set(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
int ctl_parse_relay_add(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
extern const struct ctl_pager ctl_sessions_pager, ctl_relays_pager;
/* ctl_stats.c: services --stats and stats -i. */
int ctl_show_service_stats(const struct ctl_cmd *c, const json_t *reply);
int ctl_watch_stats(const struct ctl_opts *o, const struct ctl_cmd *c);
/* ctl_mapd.c: the map server. */
int ctl_show_mapd_services(const struct ctl_cmd *c, const json_t *reply);
int ctl_show_mapd_service(const struct ctl_cmd *c, const json_t *reply);
int ctl_show_mapd_relays(const struct ctl_cmd *c, const json_t *reply);
int ctl_show_mapd_subscribers(const struct ctl_cmd *c, const json_t *reply);
/* ctl_gateway.c: the overlay gateway (both daemons). */
extern const struct ctl_pager ctl_gateways_pager;
int ctl_show_mapd_gateways(const struct ctl_cmd *c, const json_t *reply);
/* The map server's lists with refusals (relay.list, gateway.list): the rows of
 * reply[key] under hdr, then "N <key>, M refused" and what was left out. */
int ctl_show_refusals(const struct ctl_cmd *c, const json_t *reply, const char *key,
		      const char *const *hdr, ctl_row_fn row);
/* An entry's last refusal as 4 cells: REFUSED_BY REFUSALS AGE_MS ERROR. */
void ctl_refusal_cells(const json_t *entry, char **cells);
int ctl_parse_gateway_add(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
int ctl_parse_register(const struct ctl_cmd *c, int argc, char **argv, json_t *req);
int ctl_parse_deregister(const struct ctl_cmd *c, int argc, char **argv, json_t *req);

#endif /* CTL_H */
