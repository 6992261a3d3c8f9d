"""Tools shared by the tests and the benchmarks, never imported by ``livecast serve``:
real redis-server and ``livecast serve`` subprocesses (``processes``), synthetic
WHIP/WHEP peers (``peers``, needs numpy: ``pip install 'livecast[test]'``) and Debian's
Chromium as the browser tests drive it (``browser``)."""
