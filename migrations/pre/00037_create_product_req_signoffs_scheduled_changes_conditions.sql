-- +goose Up
CREATE TABLE IF NOT EXISTS `product_req_signoffs_scheduled_changes_conditions` (
  `sc_id` INT NOT NULL,
  `when` BIGINT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`sc_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `product_req_signoffs_scheduled_changes_conditions`;
