// `import PortcullisCore` gives the whole core: the modules below it are re-exported, so the HTTP layer and the
// command see one core while its parts keep their dependencies pointing one way (docs/architecture.md).
@_exported import PortcullisCache
@_exported import PortcullisModel
@_exported import PortcullisPolicy
@_exported import PortcullisPostgres
@_exported import PortcullisSQLite
@_exported import PortcullisStore
