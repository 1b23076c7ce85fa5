"""pcp: police performance reporting for Police and Crime Panels."""


def __getattr__(name: str) -> str:
    """``__version__`` is read from the package metadata only when asked for: reading it
    costs ≈ 30 ms, which every command would otherwise pay at start-up."""
    if name != "__version__":
        raise AttributeError(f"module 'pcp_cli' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pcp-cli")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0+unknown"
