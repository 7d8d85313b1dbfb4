import PortcullisModel

/// An entity deleted by setting `deleted_at`: its change's `before` is the same entity without it.
protocol SoftDeletable: ChangeSubject {
    var deletedAt: String? { get set }
}

extension User: SoftDeletable {}
extension Team: SoftDeletable {}
extension Project: SoftDeletable {}
extension Generation: SoftDeletable {}
