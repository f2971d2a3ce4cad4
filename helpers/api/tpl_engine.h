/* The C subset of Jinja2 (tpl_engine.c renders, tpl_parse.c parses):
 * the template's pieces, expression and statement trees, values, and the
 * renderer's state. Internal to those two files. */
#ifndef GB_API_TPL_ENGINE_H
#define GB_API_TPL_ENGINE_H

#include "api.h"

enum tpl_vt { V_UNDEF, V_NONE, V_BOOL, V_INT, V_STR, V_LIST, V_DICT, V_GETTEXT };
struct tpl_val {
	enum tpl_vt t;
	long i;
	const char *s; /* V_STR text; V_UNDEF the name */
	size_t n;
	struct tpl_val *items; /* V_LIST; V_DICT values */
	const char **keys; /* V_DICT */
	size_t len;
};

enum tpl_ek { E_NAME, E_STR, E_INT, E_LIST, E_ATTR, E_INDEX, E_CALL, E_FILTER, E_TEST, E_NOT, E_AND, E_OR,
	  E_CMP, E_ARITH, E_NEG, E_COND };
struct tpl_expr {
	enum tpl_ek k;
	const char *s; /* name, string, operator, filter or test name */
	size_t n;
	long i;
	struct tpl_expr *a, *b, *c;
	struct tpl_expr **args; /* E_CMP: the operands of a chain a < b < c */
	size_t nargs;
	const char **ops;       /* E_CMP: the operators between them */
};

enum tpl_nk { N_TEXT, N_OUT, N_IF, N_FOR, N_SET };
struct tpl_node {
	enum tpl_nk k;
	const char *s; /* N_TEXT */
	size_t n;
	struct tpl_expr *e; /* N_OUT, N_IF condition, N_FOR iterable, N_SET value */
	const char *var; /* N_FOR, N_SET */
	struct tpl_node **body, **orelse; /* N_IF: orelse holds one N_IF for elif */
	size_t nbody, nelse;
	int line;
};

struct tpl_eng {
	struct api_buf *err;
	const struct api_mo *mo;
	int line;
	/* the scopes: names and values, innermost last */
	const char **names;
	struct tpl_val *vals;
	size_t nvars, capvars;
	/* pieces of the template */
	struct tpl_piece *pc;
	size_t npc, ipc;
	bool failed;
};

enum tpl_pk { P_TEXT, P_VAR, P_BLOCK };
struct tpl_piece {
	enum tpl_pk k;
	const char *s;
	size_t n;
	int line;
};

/* Record the first error (type and message) with the current line. */
void api_tpl_fail(struct tpl_eng *g, const char *type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool api_tpl_is_ws(char c);
/* Cut the source into text, {{ }} and {% %} pieces (comments and "-"
 * trimming done): 0, or -1 after api_tpl_fail. */
int api_tpl_split(struct tpl_eng *g, const char *s, size_t n);
/* The node tree of the pieces from g->ipc on, until a block tag among ENDS
 * (left unconsumed, its index in *hit). */
struct tpl_node **api_tpl_parse_body(struct tpl_eng *g, const char *const *ends, size_t nends, size_t *count, int *hit);

#endif
