"""The ``signet`` CLI's profiles (src/cli/profiles.ts): a JSON file of named profiles, each naming
a server, a key id and a private key file. Environment variables override the chosen profile."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Mapping

from .errors import bad_input


@dataclass(frozen=True)
class Profile:
    name: str | None
    server: str | None
    kid: str | None
    key_file: str | None


def default_config_file(environ: Mapping[str, str] | None = None) -> str:
    """SIGNET_CONFIG, else $XDG_CONFIG_HOME/signet/config.json, else ~/.config/signet/config.json."""
    env = os.environ if environ is None else environ
    if env.get("SIGNET_CONFIG"):
        return env["SIGNET_CONFIG"]
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".config")
    return os.path.join(config_home, "signet", "config.json")


def _read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return {"profiles": {}}
    except OSError:
        raise bad_input(f"Cannot read the profile file {path}.") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise bad_input(f"The profile file {path} is not valid JSON.") from None
    profiles = data.get("profiles", {}) if isinstance(data, dict) else None
    if not isinstance(profiles, dict) or not all(isinstance(p, dict) for p in profiles.values()):
        raise bad_input(f"The profile file {path} is malformed: expected {{\"profiles\": {{NAME: {{server, kid, key_file}}}}}}.")
    return data


def load_profile(name: str | None = None, *, config_file: str | None = None, environ: Mapping[str, str] | None = None) -> Profile:
    """Which server, key id and key file to use: SIGNET_SERVER, SIGNET_KID and SIGNET_KEY_FILE
    first, then the profile ``name`` (or SIGNET_PROFILE, or the file's default), as the CLI does."""
    env = os.environ if environ is None else environ
    path = config_file or default_config_file(env)
    data = _read(path)
    chosen = name or env.get("SIGNET_PROFILE") or data.get("default_profile")
    profile = data["profiles"].get(chosen, None) if chosen is not None else None
    if chosen is not None and profile is None and (name or env.get("SIGNET_PROFILE")):
        raise bad_input(f'No profile named "{chosen}" in {path}.')
    profile = profile or {}
    pick = lambda variable, member: env.get(variable) or (profile.get(member) if isinstance(profile.get(member), str) else None)  # noqa: E731
    return Profile(chosen, pick("SIGNET_SERVER", "server"), pick("SIGNET_KID", "kid"), pick("SIGNET_KEY_FILE", "key_file"))
