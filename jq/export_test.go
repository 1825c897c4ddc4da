package jq

// Decode and Encode expose the codec to the black-box tests, which compare
// it with encoding/json and gojq.Marshal.
var (
	Decode = decode
	Encode = encode
)

// WithGojqOnly compiles a Program without its fast path, so that tests can
// compare the two.
func WithGojqOnly() Option {
	return func(o *options) error {
		o.gojqOnly = true
		return nil
	}
}
