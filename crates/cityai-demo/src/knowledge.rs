//! Knowledge sources of the fictional city 云川市: FAQ entries and policy texts that the
//! knowledge search, the request page and reply drafting quote. Every text is invented.

/// One demo knowledge source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSource {
    /// A unique id, such as `YC-FAQ-001`.
    pub id: &'static str,
    /// `faq` or `policy`.
    pub kind: &'static str,
    pub title: &'static str,
    /// The owner department's code.
    pub department: &'static str,
    /// The text; paragraphs are separated by blank lines, and FAQ entries start with the
    /// question on its own paragraph.
    pub text: &'static str,
}

/// The demo sources.
pub(crate) const SOURCES: &[DemoSource] = &[
    DemoSource {
        id: "YC-FAQ-001",
        kind: "faq",
        title: "路灯不亮、损坏怎么报修？",
        department: "urban_management",
        text: "路灯不亮、损坏怎么报修？\n\n市区道路、桥梁和公园的路灯由云川市城市管理执法局下属路灯管理所负责维护。市民可拨打12345市民热线或在网站留言报修，请说明路灯所在道路、附近门牌号或灯杆编号。一般故障在接报后48小时内修复；需要更换电缆或灯杆的，修复时间不超过7个工作日。小区内部路灯属于物业管理范围，请先联系物业服务企业。",
    },
    DemoSource {
        id: "YC-FAQ-002",
        kind: "faq",
        title: "学校能否强制学生购买校服？",
        department: "education",
        text: "学校能否强制学生购买校服？\n\n按照《云川市中小学校服管理办法》，学生校服实行自愿购买原则，学校不得强制或变相强制学生购买。校服的款式、采购方式和价格应经家长委员会讨论，并在校内公示。对校服价格或质量有异议的，可向学校所在区教育局反映，也可拨打12345市民热线。",
    },
    DemoSource {
        id: "YC-FAQ-003",
        kind: "faq",
        title: "夜间施工噪音扰民怎么办？",
        department: "ecology",
        text: "夜间施工噪音扰民怎么办？\n\n晚上22时至次日6时，在噪声敏感建筑物集中区域禁止进行产生环境噪声污染的建筑施工作业，因生产工艺要求必须连续作业的，须取得夜间施工许可并公告附近居民。市民发现无证夜间施工，可拨打12345市民热线或110反映，生态环境部门和城管部门将依法查处。",
    },
    DemoSource {
        id: "YC-FAQ-004",
        kind: "faq",
        title: "高层住宅水压不足由谁负责？",
        department: "water",
        text: "高层住宅水压不足由谁负责？\n\n市政供水管网压力由供水企业负责保障。高层住宅的二次供水设施（加压水泵、水箱）在移交供水企业统一管理前，由产权单位或物业服务企业负责运行维护。出现水压不足时，可先联系物业检查二次加压设备；物业不处理的，可向云川市水务局或12345市民热线反映，水务部门将督促整改。",
    },
    DemoSource {
        id: "YC-FAQ-005",
        kind: "faq",
        title: "占用消防通道停车如何处理？",
        department: "public_security",
        text: "占用消防通道停车如何处理？\n\n占用、堵塞、封闭消防车通道的，由消防救援机构责令改正，对个人可处警告或罚款；小区物业服务企业应当对管理区域内的消防车通道进行维护管理，设置明显标识，发现占用应当劝阻和报告。市民可拨打119或12345市民热线反映。",
    },
    DemoSource {
        id: "YC-FAQ-006",
        kind: "faq",
        title: "公司拖欠工资怎么维权？",
        department: "hrss",
        text: "公司拖欠工资怎么维权？\n\n劳动者被拖欠工资，可向用人单位所在地的劳动保障监察机构投诉，也可申请劳动人事争议仲裁。投诉时请准备劳动合同、工资条、考勤记录等材料。云川市人力资源和社会保障局劳动保障监察支队受理投诉后，一般在20个工作日内作出处理。",
    },
    DemoSource {
        id: "YC-FAQ-007",
        kind: "faq",
        title: "12345市民热线的诉求多久答复？",
        department: "government_office",
        text: "12345市民热线的诉求多久答复？\n\n咨询类诉求一般当场答复；需转办的诉求，承办单位应在接到工单后1个工作日内联系市民，15个工作日内办结并答复；情况复杂需延期的，应说明理由并告知市民预计办结时间。市民对答复不满意的，可申请复核。",
    },
    DemoSource {
        id: "YC-POL-001",
        kind: "policy",
        title: "云川市城市道路照明设施管理办法",
        department: "urban_management",
        text: "第一章 总则\n\n第一条 为加强城市道路照明设施管理，保障设施完好和正常运行，制定本办法。\n\n第二章 维护管理\n\n第八条 城市道路照明设施的完好率应当不低于98%，亮灯率应当不低于97%。\n\n第九条 管理单位接到照明设施故障报告后，一般故障应当在48小时内修复；涉及电缆、灯杆更换的，应当在7个工作日内修复。",
    },
    DemoSource {
        id: "YC-POL-002",
        kind: "policy",
        title: "云川市中小学校服管理办法",
        department: "education",
        text: "第一条 为规范中小学校服管理，保障学生和家长合法权益，制定本办法。\n\n第五条 学生校服实行自愿购买，学校不得强制或者变相强制学生购买校服。\n\n第六条 校服的选用和采购应当听取家长委员会意见，价格和质量信息应当在校内公示。",
    },
    DemoSource {
        id: "YC-POL-003",
        kind: "policy",
        title: "云川市二次供水设施管理规定",
        department: "water",
        text: "第三条 二次供水设施由产权人负责管理维护，产权人可以委托物业服务企业或者供水企业管理。\n\n第七条 二次供水设施应当保持正常运行，供水压力应当满足用户用水需求。\n\n第十二条 水务主管部门对二次供水设施的运行维护进行监督检查，发现问题的，责令管理单位限期整改。",
    },
];
