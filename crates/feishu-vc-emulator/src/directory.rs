//! The user directory as the emulator looks users up: by any of their three ids.

use std::collections::HashMap;

use feishu_vc_model::{UserId, UserIdType};

use crate::config::DirectoryUser;

/// The users the emulator knows, found by any of their ids.
#[derive(Debug)]
pub(crate) struct Directory {
    users: Vec<DirectoryUser>,
    by_id: [HashMap<String, usize>; 3],
}

fn slot(kind: UserIdType) -> usize {
    match kind {
        UserIdType::UnionId => 1,
        UserIdType::UserId => 2,
        _ => 0,
    }
}

impl Directory {
    pub(crate) fn new(users: Vec<DirectoryUser>) -> Self {
        let mut by_id: [HashMap<String, usize>; 3] = Default::default();
        for (i, u) in users.iter().enumerate() {
            for kind in UserIdType::ALL {
                by_id[slot(*kind)].insert(u.id(*kind).to_owned(), i);
            }
        }
        Self { users, by_id }
    }

    /// The user with this id of this kind.
    pub(crate) fn find(&self, kind: UserIdType, id: &str) -> Option<&DirectoryUser> {
        self.by_id[slot(kind)].get(id).map(|&i| &self.users[i])
    }

    /// Every user.
    pub(crate) fn users(&self) -> impl Iterator<Item = &DirectoryUser> {
        self.users.iter()
    }

    /// The user with this id of any kind.
    pub(crate) fn find_any(&self, id: &str) -> Option<&DirectoryUser> {
        UserIdType::ALL.iter().find_map(|k| self.find(*k, id))
    }

    /// How a stored id (an open id for directory users, anything else as given) is shown in a
    /// call made with `kind`.
    pub(crate) fn show(&self, stored: &str, kind: UserIdType) -> UserId {
        match self.find(UserIdType::OpenId, stored) {
            Some(u) => UserId::new(u.id(kind)),
            None => UserId::new(stored),
        }
    }
}
