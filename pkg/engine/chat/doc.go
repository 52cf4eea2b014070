// Package chat renders conversations into the prompt text an instruction-tuned model was trained on, with
// the model's own chat template: the Jinja text stored as chat_template in tokenizer_config.json, in a
// chat_template.jinja file next to it, or as tokenizer.chat_template in a GGUF file. Any model's template
// works, not a list of known families, and the prompt is the one transformers' apply_chat_template would
// build, byte for byte.
//
// Where it sits: the generation stages format each request as a conversation and render it with the
// model's template before tokenizing (lm.Model.ChatPrompt); EndOfTurn gives the strings that end the
// model's reply, so generation can stop there. (Activation extraction reads raw text, without a template.)
//
//	tmpl, err := chat.Compile(source, "tokenizer_config.json", chat.SpecialTokens{BOS: "<s>", EOS: "</s>"})
//	prompt, err := tmpl.Render([]chat.Message{{Role: "user", Content: "Write a story."}}, true)
//
// # The Jinja engine
//
// Templates are rendered by github.com/ardanlabs/jinja (v1.8.0), a pure-Go Jinja engine written for chat
// templates. It was chosen over github.com/nikolalohinski/gonja/v2 (v2.9.1) by rendering the real templates
// of testdata/templates and comparing with transformers: gonja cannot parse Gemma 3's template (a
// conditional expression in parentheses, `'\n' + (first_user_prefix if loop.first else "")`, is an
// "Unbalanced parenthesis" error), and its tojson is Go's encoding/json (no spaces after ':' and ',', dict
// literals' keys sorted, <, > and ' escaped) where transformers' is Python's json.dumps. ardanlabs/jinja
// parses all ten, renders trim_blocks and lstrip_blocks as transformers configures Jinja, and knows the
// filters, tests and string methods the templates use (namespace, loop.last, selectattr, dictsort, tojson,
// trim, .startswith, .split, .strip, {% generation %} ...). Its rendering then matches transformers on
// every case of the golden tests but those listed under "Known differences".
//
// # What is added on top, as transformers does
//
// transformers renders a template in a sandboxed Jinja environment with trim_blocks and lstrip_blocks and
// adds a few things; this package mirrors them (jinja.go):
//
//   - the variables: messages (a list of {"role", "content"}), add_generation_prompt, tools and documents
//     (None unless given), bos_token and eos_token (undefined when the model has none, as Qwen has no
//     bos_token), and the caller's extras (RenderWith: enable_thinking, date_string, tools);
//   - raise_exception(message): the template refuses the conversation (roles that do not alternate, a
//     system turn Gemma 2 does not take); Render returns it as a *TemplateError;
//   - strftime_now(format): the clock formatted as Python's strftime does. Llama 3.2's template writes
//     "Today Date" with it, so its prompts change with the calendar, as in transformers; SetClock or
//     SetDate (date_string) pins them;
//   - how Jinja reads the source: CR LF as LF, and one trailing newline dropped, which matters for
//     chat_template.jinja files (the engine would keep it);
//   - the sandbox's bound on range: 100,000 numbers (jinja2.sandbox.MAX_RANGE).
//
// # Bounds on a template's cost
//
// A template is a program in a downloaded file, and the engine has no limits of its own (bound.go). Beyond
// the sandbox's range bound, the ranges of one render make 1,000,000 numbers at most (loops in loops), and
// a render that outlives 10 s is given up (its goroutine runs on until its next range call); either error
// says that the template is too costly and what to do. A panic of the engine ("x" * -1) is an error rather
// than a crash. No bound covers what the engine gives no hook for: a string repeated by a huge integer
// literal, a string that doubles in a loop, or a macro that calls itself without end (a stack overflow,
// which Go cannot recover from). Newer ardanlabs/jinja releases cap repetition at 64 MiB but need Go 1.27.
//
// # Known differences
//
// Cases where ardanlabs/jinja v1.8.0 renders differently from transformers; the tests check that they still
// do (testdata/jinja_fixtures.json marks them), so this list stays true. None reaches the prompts this
// project sends (user and system turns of plain text, no tools):
//
//   - tojson(indent=N) sorts keys and escapes <, > and & (Go's encoding/json), where Python keeps the
//     dict's order; Llama 3.1+ templates write tool definitions this way. tojson without indent is exact;
//   - trim and .strip() use Go's white space, which lacks the separators U+001C..U+001F that Python strips;
//   - {{ none }} prints nothing (Python: "None") and 1.0 prints as "1".
//
// # The fallback for a model without a template
//
// A base model, or a file without a template, gets a hand-written renderer (Builtin, Fallback): ChatML,
// Llama 3, Gemma or Mistral v0.1, picked by the markers its vocabulary has. Warning then says so ("no
// chat_template in the model; using the built-in ChatML template"): the prompt is a guess at the format,
// not the model's own. Each renderer matches transformers on its family's real templates (builtin_test.go).
//
// The golden tests (jinja_test.go) compare Render with transformers' apply_chat_template(messages,
// tokenize=False, add_generation_prompt=...) on the own templates of SmolLM2, Llama 3.1 and 3.2, Qwen 2,
// 2.5 and 3, Gemma 2, 3 and 4 and Mistral v0.3, with and without a system turn, multi-turn, with white
// space and non-ASCII text, tool turns and conversations the templates refuse
// (tools/reference/make_chat_fixtures.py; testdata/templates/README.md says where each template came from).
package chat
