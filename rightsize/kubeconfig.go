package rightsize

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// kubeconfig is the part of a kubeconfig file a read-only client needs.
type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Contexts       []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	Clusters []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthority     string `yaml:"certificate-authority"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
			InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Token                 string `yaml:"token"`
			TokenFile             string `yaml:"tokenFile"`
			ClientCertificate     string `yaml:"client-certificate"`
			ClientCertificateData string `yaml:"client-certificate-data"`
			ClientKey             string `yaml:"client-key"`
			ClientKeyData         string `yaml:"client-key-data"`
			Exec                  *struct {
				APIVersion string   `yaml:"apiVersion"`
				Command    string   `yaml:"command"`
				Args       []string `yaml:"args"`
				Env        []struct {
					Name  string `yaml:"name"`
					Value string `yaml:"value"`
				} `yaml:"env"`
			} `yaml:"exec"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// Client reads the Kubernetes API with a kubeconfig's current context: GET only.
type Client struct {
	Server string
	http   *http.Client
	token  string
}

// ConfigError is a kubeconfig that cannot be used: the user's input, not the cluster's state.
type ConfigError struct{ error }

func configErr(format string, a ...any) error { return ConfigError{fmt.Errorf(format, a...)} }

// Load reads a kubeconfig file: its current context's server, CA, and credentials (a token, a
// token file, a client certificate, or an exec plugin such as `aws eks get-token`, run once).
func Load(ctx context.Context, path string) (*Client, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, configErr("%v", err)
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(b, &kc); err != nil {
		return nil, configErr("%s: not a kubeconfig: %v", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	var clusterName, userName string
	var contexts []string
	for _, c := range kc.Contexts {
		contexts = append(contexts, c.Name)
		if c.Name == kc.CurrentContext {
			clusterName, userName = c.Context.Cluster, c.Context.User
		}
	}
	if clusterName == "" {
		return nil, configErr("%s: current-context %q is not one of its contexts (want one of %s)", path, kc.CurrentContext, strings.Join(contexts, ", "))
	}
	client := &Client{}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	found := false
	for _, c := range kc.Clusters {
		if c.Name != clusterName {
			continue
		}
		found = true
		u, err := url.Parse(c.Cluster.Server)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return nil, configErr("%s: clusters.%s.server: %q is not a URL (want https://host:port)", path, clusterName, c.Cluster.Server)
		}
		client.Server = strings.TrimSuffix(c.Cluster.Server, "/")
		ca, err := dataOrFile(c.Cluster.CertificateAuthorityData, rel(c.Cluster.CertificateAuthority))
		if err != nil {
			return nil, configErr("%s: clusters.%s: certificate authority: %v", path, clusterName, err)
		}
		if len(ca) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return nil, configErr("%s: clusters.%s: the certificate authority is not PEM", path, clusterName)
			}
			tlsConfig.RootCAs = pool
		}
		tlsConfig.InsecureSkipVerify = c.Cluster.InsecureSkipTLSVerify // #nosec G402 -- the kubeconfig's own choice
	}
	if !found {
		return nil, configErr("%s: context %s names cluster %q, which it does not define", path, kc.CurrentContext, clusterName)
	}
	found = false
	for _, u := range kc.Users {
		if u.Name != userName {
			continue
		}
		found = true
		us := u.User
		switch {
		case us.Token != "":
			client.token = us.Token
		case us.TokenFile != "":
			t, err := os.ReadFile(rel(us.TokenFile))
			if err != nil {
				return nil, configErr("%s: users.%s.tokenFile: %v", path, userName, err)
			}
			client.token = strings.TrimSpace(string(t))
		case us.ClientCertificateData != "" || us.ClientCertificate != "":
			cert, err := dataOrFile(us.ClientCertificateData, rel(us.ClientCertificate))
			if err != nil {
				return nil, configErr("%s: users.%s: client certificate: %v", path, userName, err)
			}
			key, err := dataOrFile(us.ClientKeyData, rel(us.ClientKey))
			if err != nil {
				return nil, configErr("%s: users.%s: client key: %v", path, userName, err)
			}
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				return nil, configErr("%s: users.%s: %v", path, userName, err)
			}
			tlsConfig.Certificates = []tls.Certificate{pair}
		case us.Exec != nil:
			if err := client.execCredential(ctx, us.Exec.Command, us.Exec.Args, us.Exec.Env, us.Exec.APIVersion, tlsConfig); err != nil {
				return nil, fmt.Errorf("%s: users.%s.exec: %w", path, userName, err)
			}
		default:
			return nil, configErr("%s: users.%s: no credentials it can use (want token, tokenFile, client-certificate(-data) with client-key(-data), or exec)", path, userName)
		}
	}
	if !found {
		return nil, configErr("%s: context %s names user %q, which it does not define", path, kc.CurrentContext, userName)
	}
	client.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment}}
	return client, nil
}

func dataOrFile(data, file string) ([]byte, error) {
	if data != "" {
		return base64.StdEncoding.DecodeString(data)
	}
	if file != "" {
		return os.ReadFile(file)
	}
	return nil, nil
}

// execCredential runs a credential plugin once and takes its token or client certificate.
func (c *Client) execCredential(ctx context.Context, command string, args []string, env []struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}, apiVersion string, tlsConfig *tls.Config) error {
	if command == "" {
		return configErr("no command")
	}
	cmd := exec.CommandContext(ctx, command, args...)
	cmd.Env = os.Environ()
	for _, e := range env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	if apiVersion == "" {
		apiVersion = "client.authentication.k8s.io/v1beta1"
	}
	info, _ := json.Marshal(map[string]any{"apiVersion": apiVersion, "kind": "ExecCredential", "spec": map[string]any{"interactive": false}})
	cmd.Env = append(cmd.Env, "KUBERNETES_EXEC_INFO="+string(info))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", command, err, strings.TrimSpace(stderr.String()))
	}
	var cred struct {
		Status struct {
			Token                 string `json:"token"`
			ClientCertificateData string `json:"clientCertificateData"`
			ClientKeyData         string `json:"clientKeyData"`
		} `json:"status"`
	}
	if err := json.Unmarshal(out, &cred); err != nil {
		return fmt.Errorf("%s: its output is not an ExecCredential: %v", command, err)
	}
	switch {
	case cred.Status.Token != "":
		c.token = cred.Status.Token
	case cred.Status.ClientCertificateData != "":
		pair, err := tls.X509KeyPair([]byte(cred.Status.ClientCertificateData), []byte(cred.Status.ClientKeyData))
		if err != nil {
			return fmt.Errorf("%s: %v", command, err)
		}
		tlsConfig.Certificates = []tls.Certificate{pair}
	default:
		return fmt.Errorf("%s: its ExecCredential has no token or client certificate", command)
	}
	return nil
}

// ErrNotFound is a 404 from the API server: the resource, or its API, does not exist.
var ErrNotFound = errors.New("not found")

// Get reads one path of the API (GET) into v.
func (c *Client) Get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Server+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("GET %s: %w", path, ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		var st struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &st)
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, st.Message)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %v", path, err)
	}
	return nil
}
