import PortcullisModel
import PortcullisStore

/// A deterministic demo organisation: users, teams with every role, projects of each visibility, and generations.
///
/// It is produced as NDJSON lines and stored through the import, so the demo exercises the same path as real data.
public enum DemoDirectory {
    /// The demo administrator (user `admin`), who signs in with `password`.
    public static let adminEmail = "admin@demo.portcullis"
    /// Alice, owner of the `studio` team, who signs in with `password`; the other demo users have no password.
    public static let memberEmail = "alice@demo.portcullis"
    /// The password of the two demo accounts that have one. Public by design: never load the demo into a real directory.
    public static let password = "portcullis-demo"

    /// NDJSON lines for a demo of `generations` generations (default about 10,000).
    public static func lines(generations: Int = 10_000, hasher: PasswordHasher) -> [String] {
        var random = SplitMix64(seed: 42)
        var lines: [String] = []
        let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy",
                     "rupert", "sybil", "trent", "victor", "walter", "yolanda"]
        let passwordHash = hasher.hash(password)
        lines.append(#"{"type":"user","id":"admin","email":"\#(adminEmail)","display_name":"Demo Administrator","is_admin":true,"password_hash":"\#(passwordHash)"}"#)
        for (index, name) in names.enumerated() {
            let credentials = name == "alice" ? #","password_hash":"\#(passwordHash)""# : ""
            let status = index == names.count - 1 ? #","status":"disabled""# : ""
            lines.append(#"{"type":"user","id":"\#(name)","email":"\#(name)@demo.portcullis","display_name":"\#(name.capitalized)"\#(credentials)\#(status)}"#)
        }
        let teams = [("studio", "alice"), ("research", "bob"), ("marketing", "carol"), ("archive", "dave")]
        let roles = ["admin", "editor", "viewer", "viewer", "editor"]
        for (team, owner) in teams {
            lines.append(#"{"type":"team","id":"\#(team)","name":"\#(team.capitalized)","owner_id":"\#(owner)"}"#)
            for offset in 0..<5 {
                let member = names[(names.firstIndex(of: owner)! + 1 + offset * 3) % names.count]
                guard member != owner else { continue }
                let extra = offset == 4 ? #","permissions":["delete"]"# : ""
                let active = offset == 3 && team == "research" ? #","is_active":false"# : ""
                lines.append(#"{"type":"member","team_id":"\#(team)","user_id":"\#(member)","role":"\#(roles[offset])"\#(extra)\#(active)}"#)
            }
        }
        var projects: [String] = []
        let visibilities = ["private", "team", "public"]
        for index in 0..<30 {
            let id = "project-\(String(index).leftPadded(to: 2))"
            let owner = names[Int(random.next() % UInt64(names.count - 1))]
            let team = index % 5 == 4 ? nil : teams[index % teams.count].0
            let teamField = team.map { #","team_id":"\#($0)""# } ?? ""
            lines.append(#"{"type":"project","id":"\#(id)","name":"Project \#(index)","owner_id":"\#(owner)"\#(teamField),"visibility":"\#(visibilities[index % 3])"}"#)
            projects.append(id)
        }
        let statuses = ["completed", "completed", "completed", "running", "pending", "failed"]
        for index in 0..<generations {
            let id = "gen-\(String(index).leftPadded(to: 5))"
            let owner = names[Int(random.next() % UInt64(names.count - 1))]
            let project = random.next() % 10 == 0 ? "" : #","project_id":"\#(projects[Int(random.next() % UInt64(projects.count))])""#
            let status = statuses[Int(random.next() % UInt64(statuses.count))]
            let media = status == "completed" ? #","media_key":"media/\#(id).png""# : ""
            lines.append(#"{"type":"generation","id":"\#(id)","owner_id":"\#(owner)"\#(project),"status":"\#(status)"\#(media)}"#)
        }
        return lines
    }
}

extension String {
    fileprivate var capitalized: String { prefix(1).uppercased() + dropFirst() }
}
