/*
 * What the client verbs of cmd_client.c and cmd_org.c share to show
 * porterd's answers: label/value tables and printing a reply (porter.h).
 */
#include <stdio.h>

#include "client.h"
#include "porter.h"

const char *
num_text(const json_t *v, char *buf, size_t cap)
{
	if (json_is_integer(v))
		(void)snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
	else
		(void)snprintf(buf, cap, "-");
	return buf;
}

const char *
text_or_dash(const json_t *v, char *buf, size_t cap)
{
	client_text(v, buf, cap);
	if (buf[0] == '\0')
		(void)snprintf(buf, cap, "-");
	return buf;
}

void
add_row2(struct table *t, const char *label, const char *value)
{
	const char *cells[2] = {label, value};

	table_row(t, cells);
}

void
add_fields(struct table *t, const json_t *o, const struct field *f)
{
	char buf[1024];
	const json_t *v;

	for (; f->label != NULL; f++) {
		v = json_object_get(o, f->key);
		switch (f->kind) {
		case '-': text_or_dash(v, buf, sizeof(buf)); break;
		case 'n': num_text(v, buf, sizeof(buf)); break;
		case 't': client_time(v, buf, sizeof(buf)); break;
		case 'b': (void)snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "yes" : "no"); break;
		case 'i':
			if (json_is_integer(v)) {
				(void)snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
				break;
			}
			client_text(v, buf, sizeof(buf));
			break;
		case 'e':
			if (json_is_null(v)) {
				(void)snprintf(buf, sizeof(buf), "never");
				break;
			}
			client_time(v, buf, sizeof(buf));
			break;
		default: client_text(v, buf, sizeof(buf)); break;
		}
		add_row2(t, f->label, buf);
	}
}

void
print_fields(const json_t *o, const struct field *f)
{
	struct table t;

	table_init(&t, 2);
	add_fields(&t, o, f);
	table_print(&t);
}

int
print_reply(const struct client *c, json_t *j, void (*show)(const json_t *))
{
	if (j != NULL) {
		if (c->json)
			client_print_json(j);
		else if (show != NULL)
			show(j);
	}
	json_decref(j);
	return 0;
}

int
call_show(struct client *c, const char *method, const char *path, json_t *body,
	  const char *title, void (*show)(const json_t *))
{
	json_t *reply = NULL;
	int rc;

	if ((!c->loaded && (rc = client_load(c)) != 0) ||
	    (rc = client_call(c, method, path, body, CALL_AUTH, &reply)) != 0)
		return rc;
	if (title != NULL && !c->json)
		printf("%s\n", title);
	return print_reply(c, reply, show);
}
