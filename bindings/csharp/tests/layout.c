/*
 * Prints the layout of every struct and the value of every constant in
 * include/mailshield.h, one per line, for the C# test program to compare
 * with its own declarations (Native.cs):
 *
 *   size   <struct> <bytes>
 *   offset <struct> <field> <bytes>
 *   const  <name> <value>
 */
#include <stddef.h>
#include <stdio.h>

#include "mailshield.h"

#define SIZE(t) printf("size %s %zu\n", #t, sizeof(t))
#define FIELD(t, f) printf("offset %s %s %zu\n", #t, #f, offsetof(t, f))
#define CONST(c) printf("const %s %ld\n", #c, (long)(c))

int main(void) {
    SIZE(mailshield_bytes);
    FIELD(mailshield_bytes, ptr);
    FIELD(mailshield_bytes, len);

    SIZE(mailshield_text);
    FIELD(mailshield_text, ptr);
    FIELD(mailshield_text, len);

    SIZE(mailshield_protect_options);
    FIELD(mailshield_protect_options, cipher);
    FIELD(mailshield_protect_options, message_id);
    FIELD(mailshield_protect_options, use_level);
    FIELD(mailshield_protect_options, level);

    SIZE(mailshield_summary);
    FIELD(mailshield_summary, level);
    FIELD(mailshield_summary, classification);
    FIELD(mailshield_summary, confidence);
    FIELD(mailshield_summary, complete);
    FIELD(mailshield_summary, id);

    SIZE(mailshield_offsets);
    FIELD(mailshield_offsets, start);
    FIELD(mailshield_offsets, end);
    FIELD(mailshield_offsets, start_char);
    FIELD(mailshield_offsets, end_char);
    FIELD(mailshield_offsets, start_utf16);
    FIELD(mailshield_offsets, end_utf16);

    SIZE(mailshield_finding);
    FIELD(mailshield_finding, entity_type);
    FIELD(mailshield_finding, entity);
    FIELD(mailshield_finding, field);
    FIELD(mailshield_finding, span);
    FIELD(mailshield_finding, score);
    FIELD(mailshield_finding, validated);
    FIELD(mailshield_finding, masked);

    SIZE(mailshield_keyword);
    FIELD(mailshield_keyword, keyword);
    FIELD(mailshield_keyword, field);
    FIELD(mailshield_keyword, span);
    FIELD(mailshield_keyword, in_footer);

    SIZE(mailshield_field);
    FIELD(mailshield_field, name);
    FIELD(mailshield_field, text);

    SIZE(mailshield_protected);
    FIELD(mailshield_protected, body);
    FIELD(mailshield_protected, sealed);
    FIELD(mailshield_protected, subject);
    FIELD(mailshield_protected, log);
    FIELD(mailshield_protected, log_len);

    CONST(MAILSHIELD_INPUT_TEXT);
    CONST(MAILSHIELD_INPUT_MESSAGE);
    CONST(MAILSHIELD_CIPHER_AES_256_GCM);
    CONST(MAILSHIELD_CIPHER_FERNET);
    CONST(MAILSHIELD_CIPHER_NONE);
    CONST(MAILSHIELD_STATUS_OK);
    CONST(MAILSHIELD_STATUS_NULL_ARGUMENT);
    CONST(MAILSHIELD_STATUS_INVALID_ARGUMENT);
    CONST(MAILSHIELD_STATUS_RULES);
    CONST(MAILSHIELD_STATUS_KEY);
    CONST(MAILSHIELD_STATUS_CRYPTO);
    CONST(MAILSHIELD_STATUS_STATE);
    CONST(MAILSHIELD_STATUS_INTERNAL);
    return 0;
}
