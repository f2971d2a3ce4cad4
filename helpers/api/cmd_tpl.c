/* feedback-msg-tpl: render a template (tpl.c) into the feedback text.
 * As INGInious: the language is the input's @lang, the rendered text (or
 * the rst error block when the template is missing or broken) replaces
 * or extends the global text, or problems[ID] whenever -i is given, even
 * -i "" — and the command exits 0 in every one of those cases. */
#include <stdlib.h>
#include <string.h>

#include "api.h"

static const char *check_option(const char *v, struct api_buf *msg)
{
	const char *eq = strchr(v, '=');
	if (!eq || strchr(eq + 1, '=')) {
		api_buf_printf(msg, "Invalid entry %s", v);
		return msg->p;
	}
	return NULL;
}

static const struct api_opt tpl_opts[] = {
	{'a', "append", API_FLAG, NULL, false, "append to the current feedback"},
	{'i', "id", API_ONE, "ID", false, "problem id (the global feedback when absent)"},
};
static const struct api_pos tpl_pos[] = {
	{"template", API_ONE, "template name (TEMPLATE.tpl, TEMPLATE.<lang>.tpl or /task/lang/<lang>/TEMPLATE.tpl)", NULL},
	{"options", API_STAR, "NAME=VALUE pairs given to the template", check_option},
};
static const struct api_spec tpl_spec = {
	"feedback-msg-tpl", "feedback-msg-tpl [-h] [-a] [-i ID] template [options ...]",
	"Set or append to the feedback text from a Jinja2 template.", tpl_opts, 2, tpl_pos, 2,
};

int api_cmd_feedback_msg_tpl(int argc, char **argv)
{
	struct api_args a;
	int rc;
	if (api_argparse(&tpl_spec, argc, argv, &a, &rc))
		return rc;
	struct api_json *doc, *input;
	if ((rc = api_input_load(&doc, &input, API_INPUT_LANG)))
		return rc;
	const struct api_json *lv = api_json_obj_get(input, "@lang", 5);
	if (!lv)
		return api_py_raise("KeyError", "'@lang'");
	struct api_buf lang = {0};
	if (lv->type == AJ_STR)
		api_buf_add(&lang, lv->s, lv->n);
	else
		api_json_dump(&lang, lv);
	api_buf_cstr(&lang);
	const char *name = a.posv[0][0];
	struct api_buf text = {0};
	char *path = api_tpl_find(name, lang.p);
	if (!path) {
		size_t n;
		char *t = api_from_argv(name, &n);
		api_buf_adds(&text, "\n.. error::\n\n    Unable to find template named ");
		api_buf_add(&text, t, n);
		api_buf_adds(&text, ". Please contact your administrator.\n    \n\n    ");
		free(t);
	} else {
		bool ok;
		api_tpl_render(path, lang.p, a.posv[1], a.posn[1], &text, &ok);
		free(path);
	}
	api_buf_cstr(&text);
	struct api_fb fb;
	if (api_fb_open(&fb, tpl_spec.prog))
		return 1;
	struct api_json *d = api_fb_dict(&fb);
	size_t idn;
	char *id = api_arg(&a, 1, &idn);
	rc = !d || api_fb_set_text(d, id, idn, a.val[1] != NULL, text.p, text.n, a.seen[0]) ? 1
											  : api_fb_save(&fb, tpl_spec.prog);
	api_fb_close(&fb);
	return rc;
}
