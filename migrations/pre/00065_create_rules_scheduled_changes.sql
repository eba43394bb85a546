-- +goose Up
CREATE TABLE IF NOT EXISTS `rules_scheduled_changes` (
  `sc_id` INT NOT NULL AUTO_INCREMENT,
  `scheduled_by` VARCHAR(100) NOT NULL,
  `complete` TINYINT(1) NULL,
  `change_type` VARCHAR(50) NOT NULL,
  `base_rule_id` INT NULL,
  `base_alias` VARCHAR(50) NULL,
  `base_priority` INT NULL,
  `base_mapping` VARCHAR(100) NULL,
  `base_fallbackMapping` VARCHAR(100) NULL,
  `base_backgroundRate` INT NULL,
  `base_update_type` VARCHAR(15) NULL,
  `base_product` VARCHAR(15) NULL,
  `base_version` VARCHAR(75) NULL,
  `base_channel` VARCHAR(75) NULL,
  `base_buildTarget` VARCHAR(75) NULL,
  `base_buildID` VARCHAR(20) NULL,
  `base_locale` VARCHAR(200) NULL,
  `base_osVersion` VARCHAR(1000) NULL,
  `base_memory` VARCHAR(100) NULL,
  `base_instructionSet` VARCHAR(1000) NULL,
  `base_jaws` INT NULL,
  `base_mig64` INT NULL,
  `base_distribution` VARCHAR(2000) NULL,
  `base_distVersion` VARCHAR(100) NULL,
  `base_headerArchitecture` VARCHAR(10) NULL,
  `base_comment` VARCHAR(500) NULL,
  `base_data_version` INT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`sc_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `rules_scheduled_changes`;
