package signet

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Profile is one of the signet CLI's profiles (src/cli/profiles.ts), after SIGNET_* overrides.
type Profile struct {
	Name    string
	Server  string
	Kid     string
	KeyFile string
}

// DefaultConfigFile is SIGNET_CONFIG, else $XDG_CONFIG_HOME/signet/config.json, else
// ~/.config/signet/config.json: the CLI's profile file.
func DefaultConfigFile() string {
	if path := os.Getenv("SIGNET_CONFIG"); path != "" {
		return path
	}
	home := os.Getenv("XDG_CONFIG_HOME")
	if home == "" {
		userHome, _ := os.UserHomeDir()
		home = filepath.Join(userHome, ".config")
	}
	return filepath.Join(home, "signet", "config.json")
}

type profileFile struct {
	DefaultProfile string `json:"default_profile"`
	Profiles       map[string]struct {
		Server  string `json:"server"`
		Kid     string `json:"kid"`
		KeyFile string `json:"key_file"`
	} `json:"profiles"`
}

// LoadProfile says which server, key id and key file to use, as the CLI does: SIGNET_SERVER,
// SIGNET_KID and SIGNET_KEY_FILE first, then the profile name (or SIGNET_PROFILE, or the file's
// default). configFile "" means DefaultConfigFile().
func LoadProfile(name string, configFile string) (Profile, error) {
	if configFile == "" {
		configFile = DefaultConfigFile()
	}
	var file profileFile
	text, err := os.ReadFile(configFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Profile{}, badInput("Cannot read the profile file %s.", configFile)
	}
	if err == nil && json.Unmarshal(text, &file) != nil {
		return Profile{}, badInput("The profile file %s is malformed: expected {\"profiles\": {NAME: {server, kid, key_file}}}.", configFile)
	}
	explicit := name != "" || os.Getenv("SIGNET_PROFILE") != ""
	if name == "" {
		name = os.Getenv("SIGNET_PROFILE")
	}
	if name == "" {
		name = file.DefaultProfile
	}
	chosen, found := file.Profiles[name]
	if name != "" && !found && explicit {
		return Profile{}, badInput("No profile named %q in %s.", name, configFile)
	}
	pick := func(variable, fromFile string) string {
		if value := os.Getenv(variable); value != "" {
			return value
		}
		return fromFile
	}
	return Profile{name, pick("SIGNET_SERVER", chosen.Server), pick("SIGNET_KID", chosen.Kid), pick("SIGNET_KEY_FILE", chosen.KeyFile)}, nil
}
