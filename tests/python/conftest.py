"""scripts/sanitize.sh loads the ASan runtime into this interpreter with LD_PRELOAD (marked by
BEYLA_ASAN_PRELOAD). The programs these tests start (sh, curl, the CLI, which links its own
ASan) must not inherit it: curl, for one, hangs with the runtime preloaded."""
import os

if os.environ.get("BEYLA_ASAN_PRELOAD") and os.environ.get("LD_PRELOAD") == os.environ["BEYLA_ASAN_PRELOAD"]:
    del os.environ["LD_PRELOAD"]
