package upload

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// KeychainService is the service name the key is stored under; the account
// is the project URL, so each project has its own key.
const KeychainService = "GradeVault"

// Keychain stores secrets. github.com/zalando/go-keyring's Keyring
// satisfies it; tests use keyring.MockInit or their own implementation.
type Keychain interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

var (
	// ErrKeyNotFound: the keychain works but holds no key for the project.
	ErrKeyNotFound = errors.New("no key stored in the keychain")
	// ErrNoKeychain: no usable OS keychain (e.g. no D-Bus secret service),
	// or it did not answer in time.
	ErrNoKeychain = errors.New("no OS keychain available")
)

// ErrNoKeychainFriendly is what a user is told when there is no usable OS
// keychain; the raw error (a dbus-launch failure on a desktop without a
// Secret Service, for example) says nothing useful to them.
var ErrNoKeychainFriendly = fmt.Errorf("%w: this system has no keychain service running (on Linux, a Secret Service such as GNOME Keyring or KWallet); set %s in the environment or a .env file instead", ErrNoKeychain, EnvKey)

// KeychainTimeout bounds every keychain call: a secret service that waits
// for an unlock prompt nobody answers must not hang the app.
var KeychainTimeout = 3 * time.Second

// osKeychain calls go-keyring's package functions, so keyring.MockInit
// also replaces it.
type osKeychain struct{}

func (osKeychain) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeychain) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (osKeychain) Delete(service, user string) error        { return keyring.Delete(service, user) }

// OSKeychain is the operating system's keychain (Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows) via go-keyring.
func OSKeychain() Keychain { return osKeychain{} }

func account(projectURL string) string { return strings.TrimRight(strings.TrimSpace(projectURL), "/") }

// GetKey reads the key stored for projectURL. It returns ErrKeyNotFound if
// there is none and an error wrapping ErrNoKeychain if the keychain cannot
// be used.
func GetKey(kc Keychain, projectURL string) (string, error) {
	var key string
	err := bounded(func() error {
		var err error
		key, err = kc.Get(KeychainService, account(projectURL))
		return err
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// SaveKey stores key for projectURL in the keychain.
func SaveKey(kc Keychain, projectURL, key string) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("save key: the key is empty")
	}
	return bounded(func() error { return kc.Set(KeychainService, account(projectURL), strings.TrimSpace(key)) })
}

// DeleteKey removes the key stored for projectURL; a missing key is not an
// error.
func DeleteKey(kc Keychain, projectURL string) error {
	err := bounded(func() error { return kc.Delete(KeychainService, account(projectURL)) })
	if errors.Is(err, ErrKeyNotFound) {
		return nil
	}
	return err
}

// bounded runs a keychain call with KeychainTimeout. On timeout the call is
// abandoned (go-keyring has no way to cancel it); its goroutine ends when
// the keychain answers or the process exits. Errors are mapped to
// ErrKeyNotFound / ErrNoKeychain and never include the secret.
func bounded(call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		switch {
		case err == nil:
			return nil
		case errors.Is(err, keyring.ErrNotFound):
			return ErrKeyNotFound
		default:
			return ErrNoKeychainFriendly
		}
	case <-time.After(KeychainTimeout):
		return fmt.Errorf("%w: the keychain did not answer within %v; set %s in the environment or a .env file instead", ErrNoKeychain, KeychainTimeout, EnvKey)
	}
}
