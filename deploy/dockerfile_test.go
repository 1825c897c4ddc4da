package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one instruction of a Dockerfile.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
	line int
}

// stage is one build stage of a Dockerfile: its FROM and what follows.
type stage struct {
	image, name string
	instrs      []instruction
}

// find returns the instructions cmd of s.
func (s stage) find(cmd string) []instruction {
	var found []instruction
	for _, in := range s.instrs {
		if in.cmd == cmd {
			found = append(found, in)
		}
	}
	return found
}

// parseDockerfile reads the stages of a Dockerfile: enough of the syntax
// for the checks below (comments, line continuations, FROM image AS name),
// not heredocs or a changed escape character.
func parseDockerfile(t *testing.T, file string) []stage {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		stages  []stage
		pending strings.Builder
		start   int
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue // comments may also sit between continued lines
		}
		if pending.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(line)
		cmd, args, _ := strings.Cut(pending.String(), " ")
		pending.Reset()
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			var words []string
			for _, w := range strings.Fields(in.args) {
				if !strings.HasPrefix(w, "--") { // --platform=…
					words = append(words, w)
				}
			}
			if len(words) == 0 {
				t.Fatalf("%s:%d: FROM without an image", file, start)
			}
			s := stage{image: words[0]}
			if len(words) == 3 && strings.EqualFold(words[1], "AS") {
				s.name = words[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("%s:%d: %s before the first FROM", file, start, in.cmd)
			}
			continue
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if pending.Len() > 0 {
		t.Fatalf("%s: ends in a line continuation", file)
	}
	if len(stages) == 0 {
		t.Fatalf("%s: no FROM", file)
	}
	return stages
}

// execForm reports whether args is a JSON array of strings, the exec form of
// RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD, which needs no shell.
func execForm(args string) bool {
	var argv []string
	return json.Unmarshal([]byte(args), &argv) == nil && len(argv) > 0
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, dockerfile)
	final := stages[len(stages)-1]
	metricsPort := port(t, loadBridgeConfig(t, loadCompose(t)).Service.MetricsAddr)

	tests := []struct {
		name  string
		check func(*testing.T)
	}{
		{"is multi-stage", func(t *testing.T) {
			if len(stages) < 2 {
				t.Errorf("%d stage, want a build stage and a final stage", len(stages))
			}
		}},
		{"pins base images by tag", func(t *testing.T) {
			var names []string
			for _, s := range stages {
				switch {
				case slices.Contains(names, s.image), s.image == "scratch":
				case strings.Contains(s.image, "$"):
					t.Errorf("FROM %s: the image depends on a build arg", s.image)
				case strings.Contains(s.image, "@sha256:"):
				default:
					_, tag, ok := strings.Cut(path.Base(s.image), ":")
					if !ok || tag == "" || tag == "latest" {
						t.Errorf("FROM %s: pin the image with a tag other than latest", s.image)
					}
				}
				names = append(names, s.name)
			}
		}},
		{"builds with the Go version of go.mod", func(t *testing.T) {
			data, err := os.ReadFile("../go.mod")
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(data)
			if m == nil {
				t.Fatal("go.mod has no go directive")
			}
			want := "golang:" + string(m[1])
			if !slices.ContainsFunc(stages, func(s stage) bool {
				return s.image == want || strings.HasPrefix(s.image, want+"-") || strings.HasPrefix(s.image, want+".")
			}) {
				t.Errorf("no stage builds FROM %s (go.mod says go %s)", want, m[1])
			}
		}},
		{"final image is distroless static or scratch", func(t *testing.T) {
			if final.image != "scratch" && !strings.HasPrefix(final.image, "gcr.io/distroless/static") {
				t.Errorf("final stage FROM %s", final.image)
			}
		}},
		{"final stage runs as non-root", func(t *testing.T) {
			users := final.find("USER")
			if len(users) == 0 {
				t.Fatal("the final stage has no USER: the image would run as root")
			}
			last := users[len(users)-1]
			user, _, _ := strings.Cut(last.args, ":")
			if user == "" || user == "root" || user == "0" {
				t.Errorf("%s:%d: USER %s is root", dockerfile, last.line, last.args)
			}
		}},
		{"builds a static trimmed binary with its version", func(t *testing.T) {
			versionRE := regexp.MustCompile(`-X '?main\.version=\$\{?VERSION\}?`)
			for _, s := range stages[:len(stages)-1] {
				declared := false
				for _, in := range s.instrs {
					if in.cmd == "ARG" && (in.args == "VERSION" || strings.HasPrefix(in.args, "VERSION=")) {
						declared = true
					}
					if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
						for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/bridge"} {
							if !strings.Contains(in.args, want) {
								t.Errorf("%s:%d: go build without %s", dockerfile, in.line, want)
							}
						}
						if !versionRE.MatchString(in.args) {
							t.Errorf("%s:%d: go build does not set main.version from $VERSION", dockerfile, in.line)
						}
						if !declared {
							t.Errorf("%s:%d: ARG VERSION is not declared in the stage before go build", dockerfile, in.line)
						}
						return
					}
				}
			}
			t.Error("no build stage runs go build")
		}},
		{"exposes the metrics port", func(t *testing.T) {
			var ports []string
			for _, in := range final.find("EXPOSE") {
				for _, p := range strings.Fields(in.args) {
					ports = append(ports, strings.TrimSuffix(p, "/tcp"))
				}
			}
			if !slices.Contains(ports, metricsPort) {
				t.Errorf("EXPOSE %v, want the port of BRIDGE_METRICS_ADDR in %s, %s", ports, composeFile, metricsPort)
			}
		}},
		{"needs no shell", func(t *testing.T) {
			eps := final.find("ENTRYPOINT")
			if len(eps) == 0 || !execForm(eps[len(eps)-1].args) {
				t.Errorf("the final stage needs an ENTRYPOINT in exec form (JSON array): %v", eps)
			}
			for _, in := range final.find("HEALTHCHECK") {
				if in.args == "NONE" {
					continue
				}
				_, cmd, _ := strings.Cut(in.args, "CMD ")
				if !execForm(strings.TrimSpace(cmd)) {
					t.Errorf("%s:%d: HEALTHCHECK needs the exec form: the final image has no shell", dockerfile, in.line)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

// TestDockerignoreKeepsBuildInputs checks that .dockerignore excludes none of
// the files that `go build ./cmd/bridge` reads, so that the image builds.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	patterns := readDockerignore(t, dockerignore)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), goTool, "list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module", "./cmd/bridge")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	inputs := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var pkg struct {
			Dir                 string
			GoFiles, EmbedFiles []string
			Module              *struct{ Main bool }
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatal(err)
		}
		if pkg.Module == nil || !pkg.Module.Main {
			continue
		}
		for _, f := range slices.Concat(pkg.GoFiles, pkg.EmbedFiles) {
			rel, err := filepath.Rel(root, filepath.Join(pkg.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, filepath.ToSlash(rel))
		}
	}
	if len(inputs) < 3 {
		t.Fatalf("go list found no source files of ./cmd/bridge: %s", out)
	}
	for _, f := range inputs {
		if p := patterns.excludes(f); p != "" {
			t.Errorf("%s: %q excludes %s, which the build needs", dockerignore, p, f)
		}
	}
}

// ignorePattern is one line of a .dockerignore file.
type ignorePattern struct {
	text   string
	re     *regexp.Regexp
	negate bool
}

type ignorePatterns []ignorePattern

// readDockerignore reads a .dockerignore file.
func readDockerignore(t *testing.T, file string) ignorePatterns {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := parseDockerignore(string(data))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return ps
}

// parseDockerignore parses the patterns of a .dockerignore file: one a
// line, as filepath.Match with ** for any number of directories, ! to
// re-include; a pattern that matches a directory matches all it holds.
func parseDockerignore(data string) (ignorePatterns, error) {
	var ps ignorePatterns
	for line := range strings.Lines(data) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := ignorePattern{text: line}
		if rest, ok := strings.CutPrefix(line, "!"); ok {
			p.negate, line = true, rest
		}
		line = strings.TrimPrefix(path.Clean(strings.TrimSpace(line)), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(?:.*/)?")
				i += 2
			case strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("(?:/.*)?$")
		var err error
		if p.re, err = regexp.Compile(re.String()); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p.text, err)
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// excludes returns the pattern that excludes file (relative to the build
// context, with forward slashes), or "" if the file is sent.
func (ps ignorePatterns) excludes(file string) string {
	by := ""
	for _, p := range ps {
		if p.re.MatchString(file) {
			if p.negate {
				by = ""
			} else {
				by = p.text
			}
		}
	}
	return by
}

func TestDockerignorePatterns(t *testing.T) {
	ps, err := parseDockerignore("# comment\n.git\n/bin\n**/*_test.go\n*.md\n!README.md\ndocs/**/*.png\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want string // the pattern that excludes file, "" if none
	}{
		{"go.mod", ""},
		{".git/HEAD", ".git"},
		{".gitignore", ""},
		{"bin/bridge", "/bin"},
		{"cmd/bin/x.go", ""},
		{"main_test.go", "**/*_test.go"},
		{"stream/buffer_test.go", "**/*_test.go"},
		{"stream/buffer.go", ""},
		{"CHANGES.md", "*.md"},
		{"README.md", ""},
		{"docs/README.md", ""}, // *.md matches at the root only
		{"docs/a/b/c.png", "docs/**/*.png"},
		{"docs/c.png", "docs/**/*.png"},
	}
	for _, tt := range tests {
		if got := ps.excludes(tt.file); got != tt.want {
			t.Errorf("excludes(%q) = %q, want %q", tt.file, got, tt.want)
		}
	}
}
