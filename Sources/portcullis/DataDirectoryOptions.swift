import ArgumentParser
import PortcullisHTTP

/// `--data-dir` and `--config` for the operations commands, resolved like `serve` resolves them (flag, then
/// `PORTCULLIS_DATA_DIR`, then the config file's `storage.data_dir`, then `./data`), so
/// `portcullis backup --config /etc/portcullis/portcullis.toml FILE` finds the installed service's data.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The data directory (default: the config's storage.data_dir, else ./data).")
    var dataDir: String?
    @Option(help: "A config file to take storage.data_dir from (also PORTCULLIS_CONFIG), e.g. /etc/portcullis/portcullis.toml.")
    var config: String?

    func settings() throws -> ServerSettings {
        try CommandSettings.resolve(config: config, flags: ["storage.data_dir": dataDir])
    }
}
