//! The instrument catalogue genesis starts with: the items of SAMR's 2020
//! 《实施强制管理的计量器具目录》 that the sectors of DOMAIN.md meet every day. The catalogue is
//! data held in state; governance amends it (`GovernanceAction::SetCatalogueItem`).

use liangxin_types::encoding::BoundedString;

use crate::model::{CatalogueItem, ControlMode, VerificationModeKind as M};

fn item(code: &str, name: &str, control: ControlMode, modes: &[M]) -> Option<CatalogueItem> {
    Some(CatalogueItem {
        code: BoundedString::new(code).ok()?,
        name: BoundedString::new(name).ok()?,
        control,
        modes: modes.to_vec(),
    })
}

/// The everyday items, with their control and verification modes.
pub fn standard_catalogue() -> Vec<CatalogueItem> {
    use ControlMode::*;
    [
        item("5.1", "非自动衡器（电子计价秤）", Both, &[M::Periodic]),
        item("5.2", "非自动衡器（电子台秤、地磅）", Both, &[M::Periodic]),
        item("9.1", "燃油加油机", Both, &[M::Periodic]),
        item("9.2", "液化石油气、天然气加气机", Both, &[M::Periodic]),
        item("11.1", "出租汽车里程计价表", Both, &[M::Periodic]),
        item(
            "12.1",
            "电能表",
            Both,
            &[M::FirstOnlyScrapOnFailure, M::FixedServiceLife],
        ),
        item(
            "12.2",
            "水表",
            Both,
            &[M::FirstOnlyScrapOnFailure, M::FixedServiceLife],
        ),
        item(
            "12.3",
            "燃气表",
            Both,
            &[M::FirstOnlyScrapOnFailure, M::FixedServiceLife],
        ),
        item(
            "12.4",
            "热能表",
            Both,
            &[M::FirstOnlyScrapOnFailure, M::FixedServiceLife],
        ),
        item(
            "13.1",
            "体温计",
            Both,
            &[M::FirstOnlyScrapOnFailure, M::Periodic],
        ),
        item("13.2", "血压计（表）", Both, &[M::Periodic]),
        item("16.1", "焦度计", Both, &[M::Periodic]),
        item("16.2", "验光仪", Both, &[M::Periodic]),
        item("20.1", "声级计", Both, &[M::Periodic]),
        item("21.1", "呼出气体酒精含量检测仪", Both, &[M::Periodic]),
        item("22.1", "机动车测速仪", Both, &[M::Periodic]),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_item_builds() {
        assert_eq!(super::standard_catalogue().len(), 16);
    }
}
