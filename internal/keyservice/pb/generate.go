// Package pb is the generated Go code of the sops key service protocol
// (keyservice.proto). Regenerate with `make proto`, which runs this
// directive with protoc and the pinned plugins in .tools/bin.
package pb

//go:generate protoc --plugin=protoc-gen-go=../../../.tools/bin/protoc-gen-go --plugin=protoc-gen-go-grpc=../../../.tools/bin/protoc-gen-go-grpc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative keyservice.proto
