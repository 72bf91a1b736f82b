//! Where the links the emulator mints point: Feishu's hosts or Lark's.

use feishu_vc_transport::Brand;

/// The hosts of the links the emulator mints, by brand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hosts {
    /// Meeting URLs (`<vc>/j/<meeting_no>`).
    pub(crate) vc: &'static str,
    /// App links.
    pub(crate) applink: &'static str,
    /// Live links (`<meetings>/s/<code>`).
    pub(crate) meetings: &'static str,
    /// The Open Platform, for troubleshooter links.
    pub(crate) open: &'static str,
}

impl Hosts {
    pub(crate) const FEISHU: Self = Self {
        vc: "https://vc.feishu.cn",
        applink: "https://applink.feishu.cn",
        meetings: "https://meetings.feishu.cn",
        open: "https://open.feishu.cn",
    };
    pub(crate) const LARK: Self = Self {
        vc: "https://vc.larksuite.com",
        applink: "https://applink.larksuite.com",
        meetings: "https://meetings.larksuite.com",
        open: "https://open.larksuite.com",
    };

    pub(crate) fn of(brand: Brand) -> Self {
        match brand {
            Brand::Lark => Self::LARK,
            _ => Self::FEISHU,
        }
    }
}
