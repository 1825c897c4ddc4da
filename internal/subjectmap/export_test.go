package subjectmap

// ErrStricter is matched by the errors of rules that nats-server does not
// check, for the tests that compare the two.
var ErrStricter = errStricter
