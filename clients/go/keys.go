package signet

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"regexp"
	"runtime"
	"strings"
)

// HMACSecretPrefix starts every Signet HMAC secret.
const HMACSecretPrefix = "sgnt_hs_"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

var secretShape = regexp.MustCompile(`^sgnt_hs_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$`)

func secretChecksum(body string) string {
	n := crc32.ChecksumIEEE([]byte(HMACSecretPrefix + body))
	out := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		out[i] = base62[n%62]
		n /= 62
	}
	return string(out)
}

// ParseHMACSecret checks a secret's shape and CRC-32 checksum offline, before anything is signed.
func ParseHMACSecret(secret string) (*HMACKey, error) {
	if !strings.HasPrefix(secret, HMACSecretPrefix) {
		return nil, badInput("This is not a Signet HMAC secret: it must start with %q.", HMACSecretPrefix)
	}
	m := secretShape.FindStringSubmatch(secret)
	if m == nil {
		return nil, badInput("This HMAC secret is malformed: expected %q and 49 letters and digits (57 characters in all), got %d characters. Was it truncated?", HMACSecretPrefix, len(secret))
	}
	if secretChecksum(m[1]) != m[2] {
		return nil, badInput("This HMAC secret fails its checksum: a character was mistyped or changed. Copy it again exactly as it was shown.")
	}
	return &HMACKey{[]byte(secret)}, nil
}

const publicKeyHint = "This is a public key; sign with the private key file (the one without .pub)."

// ParseSigningKey reads an Ed25519 private key (PKCS#8 PEM, JWK or unencrypted OpenSSH) or an
// HMAC secret from text.
func ParseSigningKey(text string) (SigningKey, error) {
	trimmed := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(trimmed, HMACSecretPrefix):
		return ParseHMACSecret(trimmed)
	case strings.HasPrefix(trimmed, "-----BEGIN PUBLIC KEY-----"), strings.HasPrefix(trimmed, "ssh-ed25519 "):
		return nil, badInput(publicKeyHint)
	case strings.HasPrefix(trimmed, "-----BEGIN OPENSSH PRIVATE KEY-----"):
		return parseOpenSSHPrivateKey(trimmed)
	case strings.HasPrefix(trimmed, "-----BEGIN PRIVATE KEY-----"):
		block, _ := pem.Decode([]byte(trimmed))
		if block == nil {
			return nil, badInput("The PEM private key is not valid PEM.")
		}
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		private, ok := parsed.(ed25519.PrivateKey)
		if err != nil || !ok {
			return nil, badInput("The PEM private key is not an Ed25519 PKCS#8 key.")
		}
		return &Ed25519Key{Private: private}, nil
	case strings.HasPrefix(trimmed, "{"):
		return parseJWK(trimmed)
	}
	return nil, badInput("Unrecognised private key: expected an Ed25519 JWK, a PEM \"PRIVATE KEY\" block, an OpenSSH private key or an HMAC secret (sgnt_hs_...).")
}

func parseJWK(text string) (SigningKey, error) {
	var jwk map[string]any
	if json.Unmarshal([]byte(text), &jwk) != nil {
		return nil, badInput("The JWK private key is not valid JSON.")
	}
	if _, hasD := jwk["d"]; !hasD && jwk["kty"] == "OKP" {
		return nil, badInput(publicKeyHint)
	}
	d, okD := jwk["d"].(string)
	x, okX := jwk["x"].(string)
	if jwk["kty"] != "OKP" || jwk["crv"] != "Ed25519" || !okD || !okX {
		return nil, badInput(`The private key must be an Ed25519 JWK with "x" and "d".`)
	}
	seed, errD := b64url.Strict().DecodeString(d)
	public, errX := b64url.Strict().DecodeString(x)
	if errD != nil || errX != nil {
		return nil, badInput(`The private key's "x" and "d" must be canonical base64url.`)
	}
	if len(seed) != 32 || len(public) != 32 {
		return nil, badInput(`The private key's "x" and "d" must each encode 32 bytes.`)
	}
	key := &Ed25519Key{Private: ed25519.NewKeyFromSeed(seed)}
	if !bytes.Equal(key.Public(), public) {
		return nil, badInput(`The private key's public part "x" does not belong to its private part "d".`)
	}
	return key, nil
}

// LoadOptions tunes LoadSigningKey.
type LoadOptions struct {
	// AllowInsecurePermissions skips the check that group and others cannot read the file.
	AllowInsecurePermissions bool
}

// LoadSigningKey loads a private key file (PEM, JWK, OpenSSH) or an HMAC secret file, as the
// signet CLI does: a file that group or others may read is refused (like ssh) unless allowed.
func LoadSigningKey(path string, options *LoadOptions) (SigningKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, badInput("Cannot read the key file %s.", path)
	}
	if !info.Mode().IsRegular() {
		return nil, badInput("The key file %s is not a regular file.", path)
	}
	if (options == nil || !options.AllowInsecurePermissions) && runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, badInput("Permissions %04o for %s are too open: a private key file must not be readable by group or others. Run: chmod 600 %s", uint32(info.Mode().Perm()), path, path)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, badInput("Cannot read the key file %s.", path)
	}
	return ParseSigningKey(string(text))
}

// --- OpenSSH private keys (PROTOCOL.key, unencrypted, Ed25519 only) ------------------------------

const opensshMagic = "openssh-key-v1\x00"

func sshString(data []byte) []byte {
	out := make([]byte, 4, 4+len(data))
	binary.BigEndian.PutUint32(out, uint32(len(data)))
	return append(out, data...)
}

type sshReader struct{ data []byte }

func (r *sshReader) uint32() (uint32, bool) {
	if len(r.data) < 4 {
		return 0, false
	}
	v := binary.BigEndian.Uint32(r.data)
	r.data = r.data[4:]
	return v, true
}

func (r *sshReader) string() ([]byte, bool) {
	n, ok := r.uint32()
	if !ok || uint64(n) > uint64(len(r.data)) {
		return nil, false
	}
	s := r.data[:n]
	r.data = r.data[n:]
	return s, true
}

func parseOpenSSHPrivateKey(text string) (SigningKey, error) {
	invalid := func(why string) error { return badInput("The OpenSSH private key is not usable: %s", why) }
	block, _ := pem.Decode([]byte(text))
	if block == nil || block.Type != "OPENSSH PRIVATE KEY" || !bytes.HasPrefix(block.Bytes, []byte(opensshMagic)) {
		return nil, invalid(`expected one "-----BEGIN OPENSSH PRIVATE KEY-----" block.`)
	}
	r := &sshReader{block.Bytes[len(opensshMagic):]}
	cipher, ok1 := r.string()
	kdf, ok2 := r.string()
	_, ok3 := r.string()
	if !ok1 || !ok2 || !ok3 {
		return nil, invalid("it ends too early.")
	}
	if string(cipher) != "none" || string(kdf) != "none" {
		return nil, invalid(`it is protected by a passphrase, which Signet does not read. Make an unencrypted copy with: ssh-keygen -p -N "" -f COPY_OF_THE_FILE`)
	}
	if count, ok := r.uint32(); !ok || count != 1 {
		return nil, invalid("it must hold exactly one key.")
	}
	outer, ok1 := r.string()
	sectionBytes, ok2 := r.string()
	if !ok1 || !ok2 || len(r.data) != 0 {
		return nil, invalid("its structure is malformed.")
	}
	s := &sshReader{sectionBytes}
	check1, _ := s.uint32()
	check2, ok := s.uint32()
	if !ok || check1 != check2 {
		return nil, invalid("its check numbers differ (a damaged or wrongly decrypted file).")
	}
	keyType, ok1 := s.string()
	public, ok2 := s.string()
	secret, ok3 := s.string()
	_, ok4 := s.string()
	if !ok1 || !ok2 || !ok3 || !ok4 || string(keyType) != "ssh-ed25519" {
		return nil, invalid("only unencrypted ssh-ed25519 keys can sign Signet requests.")
	}
	if len(public) != 32 || len(secret) != 64 || !bytes.Equal(secret[32:], public) || !bytes.Equal(outer, append(sshString([]byte("ssh-ed25519")), sshString(public)...)) {
		return nil, invalid("its public and private parts do not belong together.")
	}
	key := &Ed25519Key{Private: ed25519.NewKeyFromSeed(secret[:32])}
	if !bytes.Equal(key.Public(), public) {
		return nil, invalid("its public and private parts do not belong together.")
	}
	return key, nil
}

func encodeOpenSSHPrivateKey(key *Ed25519Key, comment string, check uint32) string {
	public := key.Public()
	blob := append(sshString([]byte("ssh-ed25519")), sshString(public)...)
	checks := make([]byte, 8)
	binary.BigEndian.PutUint32(checks, check)
	binary.BigEndian.PutUint32(checks[4:], check)
	section := append(checks, blob...)
	section = append(section, sshString(append(key.Private.Seed(), public...))...)
	section = append(section, sshString([]byte(comment))...)
	for i := byte(1); len(section)%8 != 0; i++ {
		section = append(section, i)
	}
	body := []byte(opensshMagic)
	for _, part := range [][]byte{sshString([]byte("none")), sshString([]byte("none")), sshString(nil), {0, 0, 0, 1}, sshString(blob), sshString(section)} {
		body = append(body, part...)
	}
	encoded := base64.StdEncoding.EncodeToString(body)
	var lines []string
	for len(encoded) > 70 {
		lines, encoded = append(lines, encoded[:70]), encoded[70:]
	}
	lines = append(lines, encoded)
	return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + strings.Join(lines, "\n") + "\n-----END OPENSSH PRIVATE KEY-----\n"
}

// --- key files as `signet keygen` writes them -------------------------------------------------

// ExportPrivateKey serialises the key as "pem" (PKCS#8), "jwk" or "openssh".
func ExportPrivateKey(key *Ed25519Key, format string, comment string) (string, error) {
	var check [4]byte
	if _, err := rand.Read(check[:]); err != nil {
		return "", err
	}
	return exportPrivateKey(key, format, comment, binary.BigEndian.Uint32(check[:]))
}

func exportPrivateKey(key *Ed25519Key, format string, comment string, check uint32) (string, error) {
	switch format {
	case "openssh":
		return encodeOpenSSHPrivateKey(key, comment, check), nil
	case "jwk":
		return fmt.Sprintf("{\n  \"kty\": \"OKP\",\n  \"crv\": \"Ed25519\",\n  \"x\": \"%s\",\n  \"d\": \"%s\"\n}\n", b64url.EncodeToString(key.Public()), b64url.EncodeToString(key.Private.Seed())), nil
	case "pem", "":
		der, err := x509.MarshalPKCS8PrivateKey(key.Private)
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
	}
	return "", badInput("Unknown key format %q: use pem, jwk or openssh.", format)
}

// ExportPublicKey serialises a 32-byte public key as "pem", "jwk" or "openssh", ready to upload.
func ExportPublicKey(public []byte, format string, comment string) (string, error) {
	switch format {
	case "jwk":
		return `{"kty":"OKP","crv":"Ed25519","x":"` + b64url.EncodeToString(public) + "\"}\n", nil
	case "openssh":
		line := "ssh-ed25519 " + base64.StdEncoding.EncodeToString(append(sshString([]byte("ssh-ed25519")), sshString(public)...))
		if comment != "" {
			line += " " + comment
		}
		return line + "\n", nil
	case "pem", "":
		der := append([]byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, public...)
		return "-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n", nil
	}
	return "", badInput("Unknown key format %q: use pem, jwk or openssh.", format)
}

// KeyPairFiles describes the files GenerateKeyPair wrote.
type KeyPairFiles struct {
	PrivatePath string
	PublicPath  string
	// PublicKey is the public key text, ready to upload.
	PublicKey string
	Key       *Ed25519Key
}

// GenerateKeyPair makes an Ed25519 key pair and writes it as `signet keygen` does: the private
// key to path (mode 0600), the public key to path.pub (mode 0644). An existing file is kept.
func GenerateKeyPair(path string, format string, comment string) (KeyPairFiles, error) {
	_, private, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return KeyPairFiles{}, err
	}
	key := &Ed25519Key{Private: private}
	privateText, err := ExportPrivateKey(key, format, comment)
	if err != nil {
		return KeyPairFiles{}, err
	}
	publicText, _ := ExportPublicKey(key.Public(), format, comment)
	files := KeyPairFiles{path, path + ".pub", publicText, key}
	for _, f := range []struct {
		path, text string
		mode       os.FileMode
	}{{path, privateText, 0o600}, {path + ".pub", publicText, 0o644}} {
		file, err := os.OpenFile(f.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
		if errors.Is(err, fs.ErrExist) {
			return KeyPairFiles{}, &Error{Code: "conflict", Detail: f.path + " already exists; refusing to overwrite a key file."}
		} else if err != nil {
			return KeyPairFiles{}, badInput("Cannot write %s: %v.", f.path, err)
		}
		// The umask would otherwise narrow or widen the mode.
		err = file.Chmod(f.mode)
		if _, werr := file.WriteString(f.text); err == nil {
			err = werr
		}
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return KeyPairFiles{}, badInput("Cannot write %s: %v.", f.path, err)
		}
	}
	return files, nil
}
