package jq

// Decode and Encode expose the codec to the black-box tests, which compare
// it with encoding/json and gojq.Marshal.
var (
	Decode = decode
	Encode = encode
)
