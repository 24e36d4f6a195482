"""WhiteNoise, with its scan of the collected static files made once per process.

WhiteNoise stats every file and builds its headers when the middleware is built. A server builds
its middleware once, but Django's test client builds it for every client, and with the vendored
libraries that scan costs about 0.15 s each time. The files it finds are the same for every
instance of a process (WhiteNoise never rescans without autorefresh), so they are kept."""

from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    _scans: dict = {}  # (root, prefix and what shapes the headers) -> WhiteNoise's files

    def update_files_dictionary(self, root, prefix):
        key = (root, prefix, self.max_age, self.allow_all_origins, self.charset, self.index_file)
        files = self._scans.get(key)
        if files is None:
            found, self.files = self.files, {}
            try:
                super().update_files_dictionary(root, prefix)
                files = self._scans[key] = self.files
            finally:
                self.files = found
        self.files.update(files)
