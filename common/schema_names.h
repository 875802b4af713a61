/* The names of the schema's object types and operations, made from its
 * descriptors once ("OBJ_BOUNDED_SEMAPHORE" -> "bounded_semaphore",
 * "OP_DICT_GET" -> "dict_get"): both sides say the same names, and a new
 * type or operation is named where the schema names it. */
#ifndef MGR_COMMON_SCHEMA_NAMES_H
#define MGR_COMMON_SCHEMA_NAMES_H

/* A type's name ("dict"), or "unknown". */
const char *schema_type_name(int code);
/* An operation's name ("dict_get"), or "unknown". */
const char *schema_op_name(int op);

#endif
