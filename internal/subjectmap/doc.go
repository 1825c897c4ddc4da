// Package subjectmap turns the subject a route received a message on into the
// subject it publishes to, using the NATS server's subject-mapping syntax.
//
// The output pattern is either a literal subject, returned unchanged, or a
// mapping destination as accepted by nats-server (`{{wildcard(1)}}`, `$1`,
// `{{split(1,-)}}`, `{{partition(3,1)}}`, a trailing `>` …), evaluated by the
// server's own transform code so that the bridge and server-side mappings
// agree. Two checks are stricter than the server's: wildcard positions must
// be at least 1 (the server silently reads the first subject token for
// position 0), and a mapping function must fill a whole token.
package subjectmap
