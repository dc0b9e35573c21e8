package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// StackFile is a Pulumi stack settings file (Pulumi.<stack>.yaml) as the program sees it.
type StackFile struct {
	// Stack is the stack name from the file name: Pulumi.prod.yaml is stack prod.
	Stack string
	// Raw holds every config value as Pulumi passes it to a program: strings as they are,
	// numbers and booleans as text, objects and lists as JSON, and secure values as a
	// placeholder (the plan never decrypts).
	Raw map[string]string
	// Secrets lists the keys whose values are secure.
	Secrets []string
}

var stackFileName = regexp.MustCompile(`^Pulumi\.([A-Za-z0-9_.-]+)\.ya?ml$`)

// SecretPlaceholder stands in for a secure value that the offline plan does not decrypt.
const SecretPlaceholder = "[secret]"

// ReadStackFile reads a Pulumi.<stack>.yaml file; the stack's name comes from the file's name, so
// any other name is an error.
func ReadStackFile(path string) (StackFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return StackFile{}, fmt.Errorf("stacks: stack file: %w", err)
	}
	m := stackFileName.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return StackFile{}, fmt.Errorf("stacks: stack file %s: %q is not named Pulumi.<stack>.yaml (want the stack's name in the file name, for example Pulumi.prod.yaml, as Pulumi names it)", path, filepath.Base(path))
	}
	stack := m[1]
	sf, err := ParseStackFile(b)
	if err != nil {
		return StackFile{}, fmt.Errorf("stacks: stack file %s: %w", path, err)
	}
	sf.Stack = stack
	return sf, nil
}

// ParseStackFile parses the contents of a stack settings file.
func ParseStackFile(b []byte) (StackFile, error) {
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
		// Stack files may also name a secrets provider and an encryption salt; the plan needs
		// neither, but they are accepted.
		SecretsProvider string         `yaml:"secretsprovider"`
		EncryptedKey    string         `yaml:"encryptedkey"`
		EncryptionSalt  string         `yaml:"encryptionsalt"`
		Environment     any            `yaml:"environment"`
		Extra           map[string]any `yaml:",inline"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return StackFile{}, fmt.Errorf("not a stack settings file: %w", err)
	}
	if len(doc.Extra) > 0 {
		var keys []string
		for k := range doc.Extra {
			keys = append(keys, k)
		}
		return StackFile{}, fmt.Errorf("unknown top-level keys %s (want config, secretsprovider, encryptedkey, encryptionsalt, environment)", strings.Join(keys, ", "))
	}
	sf := StackFile{Raw: map[string]string{}}
	for key, node := range doc.Config {
		if !strings.Contains(key, ":") {
			key = Namespace + ":" + key
		}
		if isSecure(&node) {
			sf.Raw[key] = SecretPlaceholder
			sf.Secrets = append(sf.Secrets, key)
			continue
		}
		v, err := rawValue(&node)
		if err != nil {
			return StackFile{}, fmt.Errorf("config %q: %w", key, err)
		}
		sf.Raw[key] = v
	}
	return sf, nil
}

func isSecure(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "secure"
}

// rawValue renders a node as Pulumi does for programs: scalars as text, the rest as JSON.
func rawValue(n *yaml.Node) (string, error) {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("cannot render as JSON: %w", err)
	}
	return string(b), nil
}
