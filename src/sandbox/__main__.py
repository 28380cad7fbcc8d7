"""`python -m sandbox [--host H] [--port N]`: serve the simulator until Ctrl-C."""

from __future__ import annotations

import argparse

from sandbox.server import serve_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    serve_forever(
        args.port, args.host, on_ready=lambda url: print(f"SP-API simulator at {url}", flush=True)
    )


if __name__ == "__main__":
    main()
