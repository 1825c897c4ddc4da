// Package subjectmap holds NATS subject rules: which subjects are valid,
// which a filter matches ([ValidSubject], [ValidLiteral], [Matches]), and
// how a route turns the subject it received a message on into the subject it
// publishes to, in the NATS server's subject-mapping syntax ([Mapping]).
//
// The output pattern is either a literal subject, returned unchanged, or a
// mapping destination as accepted by nats-server (`{{wildcard(1)}}`, `$1`,
// `{{split(1,-)}}`, `{{partition(3,1)}}`, a trailing `>` …). The package
// implements the server's rules and mapping functions itself, so that a
// program embedding the bridge does not compile the NATS server; its tests
// check it against the server's own code, which they alone import. It is
// stricter than the server where the server silently accepts what cannot be
// meant (see [New]).
package subjectmap
